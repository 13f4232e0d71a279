package imap

// fetchUnsolicited sends FETCH responses with items for messages of the
// view (uids ascending), unasked: for NOTIFY's MessageNew (RFC 5465 5.2)
// and UPDATE (fetch-att) (RFC 5465 7). They carry the UID, as a UID
// FETCH would.
func (c *conn) fetchUnsolicited(uids []uint32, items []fetchItem) {
	var b SeqSetBuilder
	for _, u := range uids {
		b.Add(u)
	}
	cmd := &command{Tag: "*", Name: "FETCH", UID: true, Args: &fetchArgs{Set: b.Set(), Items: items}}
	if r := cmdFetch(c, cmd); r.status != "OK" {
		c.logger().Info("imap: unsolicited FETCH failed", "status", r.status, "text", r.text)
	}
}
