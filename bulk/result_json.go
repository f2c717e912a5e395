package bulk

import (
	"encoding/json"

	"github.com/grantdb/grantdb/model"
)

// UnmarshalJSON reads an Item as its tags write it; the error object becomes
// a *model.Error (Err stays nil when there is none).
func (it *Item) UnmarshalJSON(b []byte) error {
	var w struct {
		Index  int          `json:"index"`
		Status Status       `json:"status"`
		Grant  model.Grant  `json:"grant"`
		Err    *model.Error `json:"error"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*it = Item{Index: w.Index, Status: w.Status, Grant: w.Grant}
	if w.Err != nil {
		it.Err = w.Err
	}
	return nil
}
