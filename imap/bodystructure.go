package imap

// BodyStructure writes the BODYSTRUCTURE (extended true) or BODY
// (extended false) of a part (RFC 9051 7.5.2, body).
func (w *writer) BodyStructure(p *Part, extended bool) {
	if p.IsMultipart() {
		w.BeginList()
		if len(p.Children) == 0 {
			// A multipart needs at least one part (1*body): write an
			// empty text/plain one, as Dovecot does.
			w.emptyBody(extended)
		}
		for _, c := range p.Children {
			w.BodyStructure(c, extended)
		}
		w.SP()
		w.String(p.Subtype)
		if extended {
			w.SP()
			w.params(p.Params)
			w.extension(p)
		}
		w.EndList()
		return
	}
	w.BeginList()
	w.String(p.Type)
	w.SP()
	w.String(p.Subtype)
	w.SP()
	w.params(p.Params)
	w.SP()
	w.NString(p.ID)
	w.SP()
	w.NString(p.Description)
	w.SP()
	w.String(p.Encoding)
	w.SP()
	w.Number64(uint64(p.Size()))
	switch {
	case p.Message != nil:
		w.SP()
		w.Envelope(p.Message.envelope())
		w.SP()
		w.BodyStructure(p.Message, extended)
		w.SP()
		w.Number64(uint64(p.Lines))
	case equalFoldASCII(p.Type, "text"):
		w.SP()
		w.Number64(uint64(p.Lines))
	}
	if extended {
		w.SP()
		w.NString(p.MD5)
		w.extension(p)
	}
	w.EndList()
}

func (w *writer) emptyBody(extended bool) {
	w.Raw(`("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0`)
	if extended {
		w.Raw(" NIL NIL NIL NIL")
	}
	w.Raw(")")
}

// extension writes body-fld-dsp SP body-fld-lang SP body-fld-loc.
func (w *writer) extension(p *Part) {
	w.SP()
	if p.Disposition == "" {
		w.Nil()
	} else {
		w.BeginList()
		w.String(p.Disposition)
		w.SP()
		w.params(p.DispositionParams)
		w.EndList()
	}
	w.SP()
	if len(p.Language) == 0 {
		w.Nil()
	} else {
		w.BeginList()
		for i, l := range p.Language {
			if i > 0 {
				w.SP()
			}
			w.String(l)
		}
		w.EndList()
	}
	w.SP()
	w.NString(p.Location)
}

func (w *writer) params(ps []Param) {
	if len(ps) == 0 {
		w.Nil()
		return
	}
	w.BeginList()
	for i, p := range ps {
		if i > 0 {
			w.SP()
		}
		w.String(p.Name)
		w.SP()
		w.String(p.Value)
	}
	w.EndList()
}
