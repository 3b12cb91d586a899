module mesh.test/forkbomb

go 1.19
