package main

import "time"

// Report is everything one run measured; it is written as results/<size>.json
// and rendered as results/<size>.md and results/<size>.svg.
type Report struct {
	Size        string `json:"size"`
	Seed        uint64 `json:"seed"`
	Grants      int    `json:"grants"`
	Active      int    `json:"grants_active_at_epoch"`
	Users       int    `json:"users"`
	Entities    int    `json:"entities"`
	Memberships int    `json:"memberships"`
	// Model is the generator's access model the run used: "rich" (folders
	// holding entities, denies) or "flat" (allows on entities alone, as
	// reports before it had). Files without it are flat.
	Model string `json:"model"`
	// Folders, Links and Denies count the rich model's folders, entity
	// links and deny grants (zero on the flat model).
	Folders   int       `json:"folders"`
	Links     int       `json:"links"`
	Denies    int       `json:"denies"`
	Started   time.Time `json:"started"`
	DurationS float64   `json:"duration_s"`
	Command   string    `json:"command"`
	Machine   Machine   `json:"machine"`
	// Engines is keyed by engine name: grantdb, casbin, openfga, spicedb.
	Engines map[string]*EngineResult `json:"engines"`
	// Ratios are peer ÷ grantdb: above 1, grantdb is faster or smaller.
	Ratios map[string]float64 `json:"ratios"`
	// LowerBounds names the ratios that are lower bounds, because the peer
	// was stopped before it finished loading.
	LowerBounds []string `json:"ratios_lower_bounds,omitempty"`
	// Operations are grantdb's own calls besides Check.
	Operations []OpResult `json:"grantdb_operations"`
	// Disagreements are sampled queries that an engine answered otherwise
	// than the generator expects (the first few per engine).
	Disagreements []Disagreement `json:"disagreements"`
	Budgets       Budgets        `json:"budgets"`
	Notes         []string       `json:"notes"`
	// Goals are issue 15's goals, each with this run's measured value,
	// keyed by a short name.
	Goals map[string]Goal `json:"goals"`
	// SizeCurve holds check latency by organisation size, this run's and
	// those read from other results files (for the size plot).
	SizeCurve []SizePoint `json:"size_curve"`
}

// EngineResult is one engine's figures.
type EngineResult struct {
	// Version is the module version of the engine measured.
	Version string `json:"version"`
	// Model says how the engine holds the organisation.
	Model string `json:"model"`
	// LoadS is the time to load what was loaded (memberships and grants).
	LoadS float64 `json:"load_s"`
	// LoadItems and LoadTotal count what was loaded, out of what there was
	// to load: memberships plus grants (grantdb) or active grants (peers).
	LoadItems int `json:"load_items"`
	LoadTotal int `json:"load_total"`
	// LoadStopped reports that the load budget ran out.
	LoadStopped bool `json:"load_stopped"`
	// LoadPhases are the parts of the load, in order.
	LoadPhases []Phase `json:"load_phases"`
	// HeapBytes is the live heap after load (after GC) minus the live heap
	// before it.
	HeapBytes int64 `json:"heap_bytes"`
	// HeapGrantBytes is grantdb's heap growth over BulkCreate alone: the
	// grants' share, without the memberships.
	HeapGrantBytes int64 `json:"heap_grant_bytes,omitempty"`
	// MixResult holds the hot mix's figures (the generator's own queries),
	// inline under the keys earlier reports had.
	MixResult
	// Uniform holds the uniform mix's figures: user and entity drawn
	// uniformly at random.
	Uniform *MixResult `json:"uniform,omitempty"`
	// Decided compares, untimed, the answers to the queries of both mixes
	// that a deny or an inherited grant decides (within the query budget;
	// grantdb: all of them).
	Decided *Agreement `json:"decided,omitempty"`
	// Error is set when the engine could not be measured at all.
	Error string   `json:"error,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// MixResult is one engine's check figures on one query mix.
type MixResult struct {
	// Check latency over CheckSamples timed calls.
	CheckSamples int     `json:"check_samples"`
	CheckP50Ns   float64 `json:"check_p50_ns"`
	CheckP90Ns   float64 `json:"check_p90_ns"`
	CheckP99Ns   float64 `json:"check_p99_ns"`
	CheckMeanNs  float64 `json:"check_mean_ns"`
	// AllocsPerCheck is the heap allocations over the timed calls divided
	// by their number (the engine's background goroutines included).
	AllocsPerCheck float64 `json:"allocs_per_check"`
	// QueryStopped reports that the query budget ran out before every
	// planned check was made.
	QueryStopped bool `json:"query_stopped"`
	// AllowedShare is the share of the checks timed whose expected answer
	// is allowed.
	AllowedShare float64 `json:"allowed_share"`
	// Checks per second, on one goroutine and on Goroutines goroutines.
	ThroughputSingle   float64 `json:"throughput_single_per_s"`
	ThroughputParallel float64 `json:"throughput_parallel_per_s"`
	Goroutines         int     `json:"goroutines"`
	// Agreement with the generator's expected answers.
	Agree Agreement `json:"agreement"`
}

// Phase is one timed part of a load.
type Phase struct {
	Name  string  `json:"name"`
	Items int     `json:"items"`
	S     float64 `json:"s"`
}

// Agreement counts sampled queries compared with the expected answer.
type Agreement struct {
	// Compared queries had their answer checked; Skipped ones were asked
	// but are about an entity the engine does not hold completely (a
	// stopped load), so their answer cannot be expected to match.
	Compared int `json:"compared"`
	Agreed   int `json:"agreed"`
	Disagree int `json:"disagreed"`
	Skipped  int `json:"skipped"`
	Errors   int `json:"errors"`
	// NotAsked counts the sampled queries the query budget left unasked.
	NotAsked int `json:"not_asked"`
	// The compared queries an active deny applies to (Deny), those a deny
	// decides (DenyDecides: without denies they would be allowed), those an
	// active grant on a folder above the entity applies to (Inherited), and
	// those such a grant decides (InheritedDecides: the entity's own grants
	// would give the other answer); the generator's gen.Query flags.
	Deny             Subset `json:"deny"`
	DenyDecides      Subset `json:"deny_decides"`
	Inherited        Subset `json:"inherited"`
	InheritedDecides Subset `json:"inherited_decides"`
}

// Subset counts the compared queries of one kind and those answered as
// expected.
type Subset struct {
	Compared int `json:"compared"`
	Agreed   int `json:"agreed"`
}

// add counts one compared query.
func (s *Subset) add(agreed bool) {
	s.Compared++
	if agreed {
		s.Agreed++
	}
}

// Disagreement is one query answered otherwise than expected.
type Disagreement struct {
	Engine string `json:"engine"`
	// Mix is the query mix the query belongs to: hot, uniform or decided.
	Mix      string `json:"mix"`
	Index    int    `json:"query_index"`
	User     string `json:"user"`
	Entity   string `json:"entity"`
	Level    string `json:"level"`
	Expected bool   `json:"expected"`
	Got      bool   `json:"got"`
	// Involves names the denies and inherited grants the expected answer
	// involves (empty: direct allows only).
	Involves string `json:"involves,omitempty"`
	Err      string `json:"error,omitempty"`
}

// OpResult is one grantdb operation's latency.
type OpResult struct {
	// Label is the short name the plot shows.
	Label  string  `json:"label"`
	Name   string  `json:"name"`
	Detail string  `json:"detail"`
	Calls  int     `json:"calls"`
	P50Ns  float64 `json:"p50_ns"`
	P90Ns  float64 `json:"p90_ns"`
	P99Ns  float64 `json:"p99_ns"`
	MeanNs float64 `json:"mean_ns"`
	// Items is how many things one call handles (grants written, rows
	// returned), and PerItemNs the median divided by it.
	Items     int     `json:"items,omitempty"`
	PerItemNs float64 `json:"per_item_ns,omitempty"`
}

// Budgets are the limits the run was given.
type Budgets struct {
	PeerSamples        int     `json:"peer_samples"`
	DecidedSamples     int     `json:"decided_samples"`
	GrantdbSamples     int     `json:"grantdb_samples"`
	CasbinLoadS        float64 `json:"casbin_load_s"`
	CasbinQueryS       float64 `json:"casbin_query_s"`
	OpenFGALoadS       float64 `json:"openfga_load_s"`
	OpenFGAQueryS      float64 `json:"openfga_query_s"`
	ThroughputS        float64 `json:"throughput_s"`
	PeerThroughputS    float64 `json:"peer_throughput_s"`
	OpenFGAWriteBatch  int     `json:"openfga_write_batch"`
	SpiceDBLoadS       float64 `json:"spicedb_load_s"`
	SpiceDBQueryS      float64 `json:"spicedb_query_s"`
	SpiceDBWriteBatch  int     `json:"spicedb_write_batch"`
	CasbinMaxHierarchy int     `json:"casbin_max_hierarchy"`
}

// SizePoint is one engine's check latency at one organisation size.
type SizePoint struct {
	Size   string  `json:"size"`
	Grants int     `json:"grants"`
	Engine string  `json:"engine"`
	P50Ns  float64 `json:"p50_ns"`
	P99Ns  float64 `json:"p99_ns"`
	// UniformP50Ns is the uniform mix's median; 0 in files of runs
	// without it.
	UniformP50Ns float64 `json:"uniform_p50_ns,omitempty"`
	Partial      bool    `json:"partial"`
	From         string  `json:"from"`
}
