package pop3_test

import (
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/doccheck"
)

// TestDocSnippetCompiles: the code in the package doc is part of
// ExampleServer_ListenAndServe or ExampleClient, word for word, so it
// compiles (it did not: it gave the store itself as the Backend).
func TestDocSnippetCompiles(t *testing.T) {
	blocks, err := doccheck.DocCode("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	server, err := doccheck.FuncBody("example_listen_test.go", "ExampleServer_ListenAndServe")
	if err != nil {
		t.Fatal(err)
	}
	client, err := doccheck.FuncBody("example_client_test.go", "ExampleClient")
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 {
		t.Fatalf("the package doc shows %d blocks of code, want the server's and the client's", len(blocks))
	}
	for _, b := range blocks {
		if !strings.Contains(server, b) && !strings.Contains(client, b) {
			t.Errorf("the package doc's code is in neither ExampleServer_ListenAndServe nor ExampleClient:\n%s", b)
		}
	}
}
