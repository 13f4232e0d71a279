package dkim

import (
	"os"
	"testing"

	"github.com/mailwright/mailwright/delivery/internal/authtest"
)

func TestMain(m *testing.M) {
	authtest.ServeNetNSChild() // when re-run to serve DNS to OpenDKIM's tools
	os.Exit(m.Run())
}
