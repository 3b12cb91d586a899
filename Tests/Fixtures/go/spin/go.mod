module mesh.test/spin

go 1.19
