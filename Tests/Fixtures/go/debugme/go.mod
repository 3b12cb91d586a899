module mesh.test/debugme

go 1.19
