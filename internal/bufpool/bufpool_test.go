package bufpool

import "testing"

func TestPoolTiers(t *testing.T) {
	for _, c := range []struct{ size, capacity int }{
		{1, 4 << 10}, {4 << 10, 4 << 10}, {4<<10 + 1, 8 << 10}, {80 << 10, 128 << 10}, {4 << 20, 4 << 20}, {4<<20 + 1, 4<<20 + 1},
	} {
		b := Dirty.Get(c.size)
		if len(*b) != c.size || cap(*b) != c.capacity {
			t.Errorf("Get(%d): len %d cap %d, want len %d cap %d", c.size, len(*b), cap(*b), c.size, c.capacity)
		}
		Dirty.Put(b)
	}
}

func TestPoolReusesWithoutClearing(t *testing.T) {
	p := &Pool{}
	// sync.Pool may drop what it holds at any collection, so a miss is
	// allowed; what is handed back must be the tier's size and length.
	for i := 0; i < 100; i++ {
		b := p.Get(100 << 10)
		(*b)[0] = 7
		p.Put(b)
		again := p.Get(90 << 10)
		if len(*again) != 90<<10 || cap(*again) != 128<<10 {
			t.Fatalf("len %d cap %d", len(*again), cap(*again))
		}
		if again == b && (*again)[0] == 7 {
			return // reused, not cleared
		}
	}
	t.Fatal("the pool never reused a buffer")
}

func TestPoolDropsForeignCapacity(t *testing.T) {
	p := &Pool{}
	odd := make([]byte, 5000)
	p.Put(&odd)
	for i := 0; i < 10; i++ {
		if b := p.Get(5000); cap(*b) != 8<<10 {
			t.Fatalf("a buffer of foreign capacity %d came back", cap(*b))
		}
	}
}
