//go:build dnnl && cgo

package blas

import (
	"fmt"
	"sync"
)

// primCache memoises oneDNN primitives by shape: create runs once per key, under the write lock,
// and a nil result (no implementation for the key) is remembered as well.
type primCache[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]*V
}

func (c *primCache[K, V]) get(key K, create func(K) *V) *V {
	c.mu.RLock()
	p, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[key]; ok {
		return p
	}
	if c.m == nil {
		c.m = map[K]*V{}
	}
	p = create(key)
	c.m[key] = p
	return p
}

// ctxPool keeps the per-call contexts (a stream and growing buffers) that calls running side by
// side each need; create makes a new one and returns oneDNN's status.
type ctxPool[T any] struct {
	mu     sync.Mutex
	free   []*T
	create func() (*T, int)
}

func (p *ctxPool[T]) get() *T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		return c
	}
	c, st := p.create()
	if st != 0 {
		panic(fmt.Sprintf("blas: oneDNN stream: status %d", st))
	}
	return c
}

func (p *ctxPool[T]) put(c *T) {
	p.mu.Lock()
	p.free = append(p.free, c)
	p.mu.Unlock()
}
