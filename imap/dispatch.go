package imap

import "runtime/debug"

// cmdSpec is one row of the command table: the states a command is valid
// in (RFC 9051 6) and its handler. Which commands may be followed by
// pending EXPUNGE responses is holdsExpunge's business.
type cmdSpec struct {
	states int32
	handle func(c *conn, cmd *command) result
}

const (
	anyState  = stateNotAuth | stateAuth | stateSelected
	authState = stateAuth | stateSelected
)

var commandTable map[string]cmdSpec

func init() {
	commandTable = map[string]cmdSpec{
		"CAPABILITY":   {anyState, cmdCapability},
		"NOOP":         {anyState, cmdNoop},
		"LOGOUT":       {anyState, cmdLogout},
		"ID":           {anyState, cmdID},
		"STARTTLS":     {stateNotAuth, cmdStartTLS},
		"LOGIN":        {stateNotAuth, cmdLogin},
		"AUTHENTICATE": {stateNotAuth, cmdAuthenticate},
		"ENABLE":       {authState, cmdEnable},
		"NAMESPACE":    {authState, cmdNamespace},
		"SELECT":       {authState, cmdSelect},
		"EXAMINE":      {authState, cmdSelect},
		"CREATE":       {authState, cmdCreate},
		"DELETE":       {authState, cmdDelete},
		"RENAME":       {authState, cmdRename},
		"SUBSCRIBE":    {authState, cmdSubscribe},
		"UNSUBSCRIBE":  {authState, cmdSubscribe},
		"LIST":         {authState, cmdList},
		"LSUB":         {authState, cmdLsub},
		"STATUS":       {authState, cmdStatus},
		"APPEND":       {authState, cmdAppend},
		"IDLE":         {authState, cmdIdle},
		"CHECK":        {stateSelected, cmdNoop},
		"CLOSE":        {stateSelected, cmdClose},
		"UNSELECT":     {stateSelected, cmdClose},
		"EXPUNGE":      {stateSelected, cmdExpunge},
		"SEARCH":       {stateSelected, cmdSearch},
		"SORT":         {stateSelected, cmdSort},
		"THREAD":       {stateSelected, cmdThread},
		"FETCH":        {stateSelected, cmdFetch},
		"STORE":        {stateSelected, cmdStore},
		"COPY":         {stateSelected, cmdCopy},
		"MOVE":         {stateSelected, cmdCopy},
		"CANCELUPDATE": {stateSelected, cmdCancelUpdate},
		"NOTIFY":       {authState, cmdNotify},
		"GENURLAUTH":   {authState, cmdGenURLAuth},
		"RESETKEY":     {authState, cmdResetKey},
		"URLFETCH":     {authState, cmdURLFetch},
	}
}

// holdsExpunge reports whether the command must not be followed by EXPUNGE
// responses (RFC 3501 7.4.1, RFC 9051 7.5.1): FETCH, STORE, SEARCH, SORT
// and THREAD by sequence number. Those may still carry EXISTS and flag
// updates; the EXPUNGEs wait for the next command that allows them.
func holdsExpunge(cmd *command) bool {
	if cmd.UID {
		return false
	}
	switch cmd.Name {
	case "FETCH", "STORE", "SEARCH", "SORT", "THREAD":
		return true
	}
	return false
}

// dispatch runs one command and writes its responses; it reports whether
// the session goes on.
func (c *conn) dispatch(cmd *command) (goOn bool) {
	spec, found := commandTable[cmd.Name]
	if !found {
		// Parsed but not offered.
		c.status(cmd.Tag, "BAD", "", "Unknown command "+cmd.Name)
		return c.countBad()
	}
	st := c.state.Load()
	if spec.states&st == 0 {
		var text string
		switch {
		case st == stateNotAuth:
			text = cmd.Name + " is not valid before login"
		case spec.states == stateNotAuth:
			text = cmd.Name + " is not valid after login"
		default:
			text = cmd.Name + " needs a selected mailbox"
		}
		c.status(cmd.Tag, "BAD", "", text)
		return c.countBad()
	}
	r := c.run(spec, cmd)
	if c.mbox != nil && r.status != "BAD" && !r.bye {
		c.sendUpdates(!holdsExpunge(cmd))
	}
	if c.notify != nil && !r.bye {
		// RFC 5465 3.1: events of other mailboxes, between commands,
		// but not those of the command itself.
		if r.status == "OK" {
			c.noteOwnEvents(cmd)
		}
		c.deliverNotify()
	}
	if r.text == "" && r.status == "OK" {
		r.text = cmd.Name + " completed"
	}
	if r.status != "" {
		c.status(cmd.Tag, r.status, r.code, r.text)
	}
	if r.bye {
		return false
	}
	if r.status == "BAD" {
		return c.countBad()
	}
	return true
}

// run calls a handler. A panic in it (a backend bug, a message the parser
// chokes on) ends the command with NO [SERVERBUG], not the process; the
// session ends too, since its state may be inconsistent.
func (c *conn) run(spec cmdSpec, cmd *command) (r result) {
	defer func() {
		if v := recover(); v != nil {
			c.logger().Error("imap: panic in command", "command", cmd.Name, "panic", v, "stack", string(debug.Stack()))
			c.untagged("BYE Internal server error")
			r = result{bye: true}
		}
	}()
	return spec.handle(c, cmd)
}
