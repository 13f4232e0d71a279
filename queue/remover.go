package queue

// remover marks finished messages done in the store, in batches: one
// write of done marks per segment for all the messages finished since the
// last batch. A crash before it gets to one means that message is
// delivered again after restart: at least once, as documented.
func (q *Queue) remover() {
	defer q.removeWG.Done()
	for id := range q.removeC {
		n := 1
		q.markDone(id)
	batch:
		for n < 4096 {
			select {
			case id, ok := <-q.removeC:
				if !ok {
					break batch
				}
				q.markDone(id)
				n++
			default:
				break batch
			}
		}
		if err := q.store.flushDone(); err != nil {
			q.log.Error("queue: recording finished messages", "err", err)
		}
	}
}

func (q *Queue) markDone(id string) {
	if err := q.store.markDone(id); err != nil {
		q.log.Error("queue: removing finished message", "id", id, "err", err)
	}
}
