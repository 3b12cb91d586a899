module mesh/relay

go 1.19
