module mesh.test/kernelprobe

go 1.19
