package runner

import "github.com/zdmctl/zdmctl/playbooks"

// Observers fans events out to several observers, in order.
func Observers(obs ...Observer) Observer { return multi(obs) }

type multi []Observer

func (m multi) PlayStart(p *playbooks.Play, hosts []string) {
	for _, o := range m {
		o.PlayStart(p, hosts)
	}
}
func (m multi) BatchStart(p *playbooks.Play, i, of int, hosts []string) {
	for _, o := range m {
		o.BatchStart(p, i, of, hosts)
	}
}
func (m multi) TaskDone(r *TaskResult) {
	for _, o := range m {
		o.TaskDone(r)
	}
}
func (m multi) BatchDone(p *playbooks.Play, b *BatchResult) {
	for _, o := range m {
		o.BatchDone(p, b)
	}
}
func (m multi) RunDone(r *Result) {
	for _, o := range m {
		o.RunDone(r)
	}
}
