module mesh.test/memhog

go 1.19
