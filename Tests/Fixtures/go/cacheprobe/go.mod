module mesh.test/cacheprobe

go 1.19
