module mesh.test/flood

go 1.19
