package mtasts_test

import (
	"fmt"
	"time"

	"github.com/mailwright/mailwright/delivery/mtasts"
)

// A receiving domain serves its policy at mtasts.PolicyURL(domain); a
// sender checks each MX host against it.
func ExampleParsePolicy() {
	p, err := mtasts.ParsePolicy([]byte("version: STSv1\r\nmode: enforce\r\nmx: *.example.net\r\nmax_age: 604800\r\n"))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Mode, p.MaxAge == 7*24*time.Hour)
	fmt.Println(p.Match("mx1.example.net"), p.Match("mx1.example.org"))
	fmt.Println(mtasts.PolicyURL("example.net"))
	// Output:
	// enforce true
	// true false
	// https://mta-sts.example.net/.well-known/mta-sts.txt
}
