// netprobe tries to reach the network: a TCP dial of each address argument (default 1.1.1.1:443 and
// 8.8.8.8:53) and a name lookup (default example.com). It prints each error and exits 0 if every
// attempt failed (no network, as in a Mesh container), 1 if any succeeded.
//
//	netprobe [-name host] [addr...]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	name := flag.String("name", "example.com", "host name to resolve")
	flag.Parse()
	addrs := flag.Args()
	if len(addrs) == 0 {
		addrs = []string{"1.1.1.1:443", "8.8.8.8:53"}
	}
	reached := false
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, 3*time.Second)
		if err != nil {
			fmt.Printf("netprobe: dial %s: failed: %v\n", a, err)
			continue
		}
		c.Close()
		fmt.Printf("netprobe: dial %s: CONNECTED\n", a)
		reached = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupHost(ctx, *name)
	if err != nil {
		fmt.Printf("netprobe: resolve %s: failed: %v\n", *name, err)
	} else {
		fmt.Printf("netprobe: resolve %s: RESOLVED %v\n", *name, ips)
		reached = true
	}
	if reached {
		os.Exit(1)
	}
}
