// Package throttle slows down and then blocks password guessing, limits
// how much mail an account or a client network may send, across sessions
// and across protocols, and paces the outbound queue per destination
// domain. Counts are kept in memory, bounded by MaxEntries whatever the
// number of distinct clients, names and domains.
//
// One Logins serves the SMTP, IMAP and POP3 servers together (it
// implements smtp.LoginLimiter, imap.LoginLimiter and pop3.LoginLimiter),
// so that a client cannot guess on one protocol after being stopped on
// another; one Sending serves the delivery agent (delivery.SendLimiter):
//
//	logins := &throttle.Logins{} // the zero value has safe defaults
//	smtpServer.LoginLimiter = logins
//	imapServer.LoginLimiter = logins
//	pop3Server.LoginLimiter = logins
//	agent.SendLimiter = &throttle.Sending{AccountMessages: 500}
//	queueOptions.DomainRate = (&throttle.Outbound{PerDomain: 30}).Wait
//
// A client is counted as its source: its IPv4 address, or its IPv6 /64
// (a host on an IPv6 network has a whole /64 to choose addresses from);
// IPv4PrefixLength and IPv6PrefixLength change that.
package throttle
