package queue_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/mailwright/mailwright/queue"
)

// A queue that hands each message to a Deliverer, one attempt per
// recipient domain.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "queue-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	done := make(chan string, 1)
	q, err := queue.Open(dir, queue.Options{
		Hostname: "mx.example.org",
		Deliverer: queue.DelivererFunc(func(ctx context.Context, d *queue.Delivery) []queue.Result {
			var rcpts []string
			for _, r := range d.Recipients {
				rcpts = append(rcpts, r.Address)
			}
			done <- fmt.Sprintf("%s: %s", d.Domain, strings.Join(rcpts, ", "))
			// One result for all the recipients of this attempt.
			return []queue.Result{queue.Delivered(250, "2.0.0", "OK", "mx."+d.Domain)}
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	if err := q.Start(); err != nil { // Open loads, Start delivers
		log.Fatal(err)
	}

	msg := "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: hello\r\n\r\nHi Bob.\r\n"
	_, err = q.Enqueue(context.Background(), queue.Envelope{
		From: "alice@example.org",
		Recipients: []queue.Recipient{
			{Address: "bob@example.net", Notify: []queue.DSNNotify{queue.NotifyFailure}},
			{Address: "carol@example.net"},
		},
	}, strings.NewReader(msg))
	if err != nil {
		log.Fatal(err) // not acknowledged: the client must retry
	}
	fmt.Println(<-done)
	// Output: example.net: bob@example.net, carol@example.net
}

// A Deliverer reports a result per recipient, in order, or one result for
// the whole attempt when it could not reach the domain at all.
func ExampleDelivererFunc() {
	d := queue.DelivererFunc(func(ctx context.Context, d *queue.Delivery) []queue.Result {
		if d.Domain == "down.example" {
			return []queue.Result{queue.TempFail(0, "4.4.1", "connection refused", "")}
		}
		res := make([]queue.Result, len(d.Recipients))
		for i, r := range d.Recipients {
			if strings.HasPrefix(r.Address, "nobody@") {
				res[i] = queue.PermFail(550, "5.1.1", "no such user", "mx."+d.Domain)
			} else {
				res[i] = queue.Delivered(250, "2.0.0", "OK", "mx."+d.Domain)
			}
		}
		return res
	})
	dl := queue.NewDelivery("id1", "alice@example.org", "example.net",
		[]queue.Recipient{{Address: "bob@example.net"}, {Address: "nobody@example.net"}}, 0, nil)
	for _, r := range d.Deliver(context.Background(), dl) {
		fmt.Println(r.Status, r.Code, r.EnhancedCode, r.Message)
	}
	// Output:
	// delivered 250 2.0.0 OK
	// permanent 550 5.1.1 no such user
}
