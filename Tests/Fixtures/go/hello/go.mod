module mesh.test/hello

go 1.19
