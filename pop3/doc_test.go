package pop3_test

import (
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/doccheck"
)

// TestDocSnippetCompiles: the code in the package doc is part of
// ExampleServer_ListenAndServe, word for word, so it compiles (it did
// not: it gave the store itself as the Backend).
func TestDocSnippetCompiles(t *testing.T) {
	blocks, err := doccheck.DocCode("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	body, err := doccheck.FuncBody("example_listen_test.go", "ExampleServer_ListenAndServe")
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 {
		t.Fatal("the package doc shows no code")
	}
	for _, b := range blocks {
		if !strings.Contains(body, b) {
			t.Errorf("the package doc's code is not in ExampleServer_ListenAndServe:\n%s", b)
		}
	}
}
