module cachefill

go 1.19
