package tlsrpt_test

import (
	"fmt"
	"time"

	"github.com/mailwright/mailwright/delivery/tlsrpt"
)

// The deliverer counts each TLS session under the policy it applied;
// once a day a Reporter flushes the counts into one report per domain.
func ExampleRecorder() {
	rec := &tlsrpt.Recorder{}
	policy := tlsrpt.Policy{Type: tlsrpt.PolicySTS, Domain: "example.net", MXHost: []string{"mx.example.net"},
		String: []string{"version: STSv1", "mode: enforce", "mx: mx.example.net", "max_age: 604800"}}
	rec.Success(policy)
	rec.Success(policy)
	rec.Failure(policy, tlsrpt.Failure{Result: tlsrpt.ResultStartTLSNotSupported, ReceivingMXHostname: "mx.example.net"})
	for _, r := range rec.Flush(time.Now().Add(48 * time.Hour)) {
		p := r.Policies[0]
		fmt.Println(r.Domain(), p.Summary.Successful, p.Summary.Failed, p.FailureDetails[0].Result)
	}
	// Output:
	// example.net 2 1 starttls-not-supported
}
