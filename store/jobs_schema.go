package store

import "github.com/hashicorp/go-memdb"

// Tables and indexes of bulk access jobs. A job is three kinds of rows: its
// summary (rewritten by every step), its spec (written once, at submit, so
// that a step's commit never carries it) and one row per step.
const (
	tableJobs     = "jobs"
	tableJobSpecs = "job_specs"
	tableJobSteps = "job_steps"

	// indexJobID orders jobs by job id alone, across organisations: job
	// ids sort by submission, so its last entry is the newest job.
	indexJobID = "job_id"
)

func jobsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableJobs,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: keyIndexer[*jobRow]{
				key: func(r *jobRow) string { return r.key },
			}},
			indexJobID: {Name: indexJobID, Unique: true, Indexer: keyIndexer[*jobRow]{
				key: func(r *jobRow) string { return r.j.ID },
			}},
		},
	}
}

func jobSpecsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableJobSpecs,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: keyIndexer[*jobSpecRow]{
				key: func(r *jobSpecRow) string { return r.key },
			}},
		},
	}
}

func jobStepsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableJobSteps,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: keyIndexer[*jobStepRow]{
				key: func(r *jobStepRow) string { return r.key },
			}},
		},
	}
}
