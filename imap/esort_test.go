package imap_test

import "testing"

// TestESort: RFC 5267 3, SORT and UID SORT with RETURN answered
// with ESEARCH: MIN and MAX are the first and last messages in sort
// order, ALL keeps that order.
func TestESort(t *testing.T) {
	c := sortFixture(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} ESORT {*}
S: a1 OK CAPABILITY completed
# SORT (DATE) is 6 2 5 1 4 3 (TestSort).
C: a2 SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 ALL
S: * ESEARCH (TAG "a2") MIN 6 MAX 3 COUNT 6
S: a2 OK SORT completed
C: a3 SORT RETURN (ALL) (DATE) UTF-8 ALL
S: * ESEARCH (TAG "a3") ALL 6,2,5,1,4,3
S: a3 OK SORT completed
# RETURN () means ALL; runs that ascend by one in sort order are ranges.
C: a4 SORT RETURN () (REVERSE ARRIVAL) UTF-8 ALL
S: * ESEARCH (TAG "a4") ALL 1:6
S: a4 OK SORT completed
C: a5 UID SORT RETURN (ALL COUNT MIN) (DATE) UTF-8 ALL
S: * ESEARCH (TAG "a5") UID MIN 7 ALL 7,3,6,2,5,4 COUNT 6
S: a5 OK SORT completed
C: a6 SORT RETURN (MIN MAX ALL COUNT) (DATE) UTF-8 SUBJECT nowhere
S: * ESEARCH (TAG "a6") COUNT 0
S: a6 OK SORT completed
C: a7 SORT RETURN (MAX) (REVERSE DATE) UTF-8 FROM bob
S: * ESEARCH (TAG "a7") MAX 6
S: a7 OK SORT completed
C: a8 SORT RETURN (SAVE) (DATE) UTF-8 ALL
S: a8 BAD SORT RETURN (SAVE) is not supported
C: a9 SORT RETURN (BOGUS) (DATE) UTF-8 ALL
S: a9 BAD {*}
# Without RETURN, the classic SORT response.
C: b1 SORT (DATE) UTF-8 ALL
S: * SORT 6 2 5 1 4 3
S: b1 OK SORT completed`)
}
