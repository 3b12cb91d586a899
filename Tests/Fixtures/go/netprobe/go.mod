module mesh.test/netprobe

go 1.19
