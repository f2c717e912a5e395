package gen

import (
	"fmt"
	"math/rand/v2"

	"github.com/grantdb/grantdb/model"
)

// BatchInputs returns n distinct grant inputs for bulk-load benchmarks, the
// same for the same n: 10 per document ("document", doc_0000000 on), to
// grantees drawn from 100k users (90%), 300 departments and 300 roles (5%
// each), levels read to admin, granted by usr_loader, in random order. It
// is a flat batch, not an organisation: no memberships, no windows (see
// Generate for those).
func BatchInputs(n int) []model.GrantInput {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	items := make([]model.GrantInput, 0, n)
	for d := 0; len(items) < n; d++ {
		entity := model.EntityRef{Type: "document", ID: fmt.Sprintf("doc_%07d", d)}
		seen := map[model.Subject]bool{}
		for len(seen) < 10 && len(items) < n {
			var s model.Subject
			switch k := r.IntN(100); {
			case k < 90:
				s = model.User(fmt.Sprintf("usr_%06d", r.IntN(100_000)))
			case k < 95:
				s = model.Department(fmt.Sprintf("dep_%03d", r.IntN(300)))
			default:
				s = model.Role(fmt.Sprintf("rol_%03d", r.IntN(300)))
			}
			if seen[s] {
				continue
			}
			seen[s] = true
			items = append(items, model.GrantInput{
				Entity: entity, Grantee: s, Level: model.Level(1 + r.IntN(3)), GrantedBy: "usr_loader",
			})
		}
	}
	r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	return items
}
