package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// The page's forms post here, and are answered with a redirect to the
// page they came from (or, for a release and a fault the form got wrong,
// with the page and the outcome).

func (c *Catcher) formDelete(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	if err := deleteMessages(r.Context(), f, m.UID); err != nil {
		httpError(w, err)
		return
	}
	http.Redirect(w, r, "/?"+listParams(r).Encode(), http.StatusSeeOther)
}

func (c *Catcher) formDeleteAll(w http.ResponseWriter, r *http.Request) {
	if _, err := c.deleteAll(r.Context()); err != nil {
		httpError(w, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// formRelease releases the message to the recipients of the form and
// shows the outcome on the message's page.
func (c *Catcher) formRelease(w http.ResponseWriter, r *http.Request, f *mailbox.Folder, m mailbox.MessageInfo) {
	to := strings.FieldsFunc(r.PostFormValue("to"), isListSeparator)
	res, err := c.release(r.Context(), f, m, to)
	status := http.StatusOK
	if err != nil {
		status = http.StatusBadGateway
	}
	c.renderMessage(w, r, f, m, status, func(v *messageView) {
		v.Released = res
		if err != nil {
			v.ReleaseError = err.Error()
		}
	})
}

func (c *Catcher) formAddFault(w http.ResponseWriter, r *http.Request) {
	spec, err := faultForm(r)
	if err == nil {
		var f smtptest.Fault
		if f, err = spec.fault(c.Faults.Messages()); err == nil {
			c.Faults.Inject(f)
		}
	}
	if err != nil {
		v, verr := c.newPageView(r, 0)
		if verr != nil {
			httpError(w, verr)
			return
		}
		v.FaultError, v.FaultForm = err.Error(), spec
		c.render(w, http.StatusBadRequest, "page", v)
		return
	}
	http.Redirect(w, r, backURL(r), http.StatusSeeOther)
}

func (c *Catcher) formClearFaults(w http.ResponseWriter, r *http.Request) {
	c.Faults.Clear()
	http.Redirect(w, r, backURL(r), http.StatusSeeOther)
}

func (c *Catcher) formRemoveFault(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil || !c.Faults.Remove(i) {
		http.Error(w, "no such fault", http.StatusNotFound)
		return
	}
	http.Redirect(w, r, backURL(r), http.StatusSeeOther)
}

// backURL is the page a form returns to: its "back" field when that is a
// path of this site (never another site's URL: no open redirect).
func backURL(r *http.Request) string {
	b := r.PostFormValue("back")
	if !strings.HasPrefix(b, "/") || strings.HasPrefix(b, "//") || strings.HasPrefix(b, `/\`) || strings.ContainsAny(b, "\r\n") {
		return "/"
	}
	return b
}
