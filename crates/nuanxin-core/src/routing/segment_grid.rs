//! A uniform grid over the road segments in the graph's local plane, for snapping: each cell
//! lists the segments whose bounding box touches it (compressed-sparse-row arrays). A query
//! visits the cells ring by ring around the position and stops when the next ring is
//! farther than the search radius, so it allocates nothing; the R-tree's nearest-neighbour
//! iterator it replaced allocated its queue on every call, and snapping was most of a network
//! coverage (each H3 cell centre is snapped): with the grid and the search's new labels, the
//! Helsinki coverage bench went from 6.7 to 2.6 ms (docs/benchmarks.md, "Network coverage against pgRouting").
//!
//! The cell side is chosen so that there are at most about two cells per segment and never
//! less than [`MIN_CELL_M`]: memory stays below the R-tree's 40 bytes per segment (4 bytes
//! per cell and per listed segment).

/// Smallest cell side, metres: in a city centre a 40 m cell holds a few segments.
pub(crate) const MIN_CELL_M: f64 = 40.0;

/// Segments listed per grid cell.
#[derive(Debug, Clone, Default)]
pub(crate) struct SegmentGrid {
    x0: f64,
    y0: f64,
    cell_m: f64,
    nx: usize,
    ny: usize,
    /// The segments of cell `(i, j)` are `items[start[j * nx + i]..start[j * nx + i + 1]]`.
    start: Vec<u32>,
    items: Vec<u32>,
}

impl SegmentGrid {
    /// The grid of segments given by their end points in the plane, metres.
    pub(crate) fn new(ends: &[([f64; 2], [f64; 2])]) -> Self {
        let (mut minx, mut miny, mut maxx, mut maxy) = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for (a, b) in ends {
            for p in [a, b] {
                minx = minx.min(p[0]);
                miny = miny.min(p[1]);
                maxx = maxx.max(p[0]);
                maxy = maxy.max(p[1]);
            }
        }
        if ends.is_empty() || !(minx.is_finite() && maxx.is_finite()) {
            return Self::default();
        }
        let (w, h) = ((maxx - minx).max(1.0), (maxy - miny).max(1.0));
        let cell_m = (w * h / (2.0 * ends.len() as f64)).sqrt().max(MIN_CELL_M);
        let nx = (w / cell_m).floor() as usize + 1;
        let ny = (h / cell_m).floor() as usize + 1;
        let mut g = SegmentGrid {
            x0: minx,
            y0: miny,
            cell_m,
            nx,
            ny,
            start: vec![0; nx * ny + 1],
            items: Vec::new(),
        };
        let range = |g: &SegmentGrid, a: [f64; 2], b: [f64; 2]| {
            let (i0, j0) = g.cell_of([a[0].min(b[0]), a[1].min(b[1])]);
            let (i1, j1) = g.cell_of([a[0].max(b[0]), a[1].max(b[1])]);
            (i0, j0, i1, j1)
        };
        for &(a, b) in ends {
            let (i0, j0, i1, j1) = range(&g, a, b);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    g.start[j * nx + i + 1] += 1;
                }
            }
        }
        for c in 0..nx * ny {
            g.start[c + 1] += g.start[c];
        }
        let mut fill = g.start.clone();
        g.items = vec![0; g.start[nx * ny] as usize];
        for (s, &(a, b)) in ends.iter().enumerate() {
            let (i0, j0, i1, j1) = range(&g, a, b);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let c = j * nx + i;
                    g.items[fill[c] as usize] = s as u32;
                    fill[c] += 1;
                }
            }
        }
        g
    }

    /// The cell holding `p` (clamped to the grid).
    fn cell_of(&self, p: [f64; 2]) -> (usize, usize) {
        let f = |v: f64, n: usize| ((v / self.cell_m).floor().max(0.0) as usize).min(n - 1);
        (f(p[0] - self.x0, self.nx), f(p[1] - self.y0, self.ny))
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        4 * (self.start.len() + self.items.len())
    }

    /// Calls `visit` with every segment listed in a cell within `radius_m` metres of `p` (a
    /// segment may come more than once). `visit` returns the radius from then on, so a
    /// search can shrink it as it finds nearer segments.
    ///
    /// Cells are visited ring by ring around the cell of `p`; a cell of a ring is skipped when
    /// its rectangle lies farther than the radius from `p` (a segment within the radius has its
    /// nearest point in a cell within the radius, and is listed there). Once a snap has found
    /// a road a few metres away, this leaves one to four cells of the first ring instead of
    /// nine (with the graph's own scale bound in [`super::graph`], a cold network coverage of
    /// central Helsinki went from 2.1 to 1.5 ms; docs/benchmarks.md, "Network coverage against pgRouting").
    pub(crate) fn visit_near(&self, p: [f64; 2], radius_m: f64, mut visit: impl FnMut(u32) -> f64) {
        let mut r = radius_m;
        if self.start.is_empty() || r.is_nan() || !(p[0].is_finite() && p[1].is_finite()) {
            return;
        }
        let c = self.cell_m;
        let (nx, ny) = (self.nx as i64, self.ny as i64);
        // The cell of `p`, unclamped (it may lie outside the grid).
        let ci = ((p[0] - self.x0) / c).floor() as i64;
        let cj = ((p[1] - self.y0) / c).floor() as i64;
        // Distance from `p` to the nearest cell of the grid (0 inside it).
        let dx = (self.x0 - p[0])
            .max(p[0] - (self.x0 + nx as f64 * c))
            .max(0.0);
        let dy = (self.y0 - p[1])
            .max(p[1] - (self.y0 + ny as f64 * c))
            .max(0.0);
        let outside = dx.hypot(dy);
        // Distance from `p` to column `i` (row `j`) of cells along x (y); a micrometre of slack
        // absorbs the rounding of the cell bounds.
        let gap = |v: f64, v0: f64, i: i64| {
            let lo = v0 + i as f64 * c;
            ((lo - v).max(v - (lo + c)).max(0.0) - 1e-6).max(0.0)
        };
        let mut k = 0i64;
        loop {
            // Every cell of ring k is at least (k − 1) cells away from `p`, and no nearer
            // than the grid itself.
            let lb = ((k - 1).max(0) as f64 * c).max(outside);
            if lb > r {
                return;
            }
            // Beyond the grid on every side: nothing more.
            if ci - k < 0 && cj - k < 0 && ci + k >= nx && cj + k >= ny {
                return;
            }
            let (jlo, jhi) = ((cj - k).max(0), (cj + k).min(ny - 1));
            let (ilo, ihi) = ((ci - k).max(0), (ci + k).min(nx - 1));
            for j in jlo..=jhi {
                let gy = gap(p[1], self.y0, j);
                if gy > r {
                    continue;
                }
                let on_edge_row = j == cj - k || j == cj + k;
                let mut i = ilo;
                while i <= ihi {
                    if on_edge_row || i == ci - k || i == ci + k {
                        let gx = gap(p[0], self.x0, i);
                        if gx * gx + gy * gy <= r * r {
                            let cell = j as usize * self.nx + i as usize;
                            let (a, b) = (self.start[cell] as usize, self.start[cell + 1] as usize);
                            for &s in &self.items[a..b] {
                                r = visit(s);
                            }
                        }
                        i += 1;
                    } else {
                        // Inside the ring: jump to its right side.
                        i = (ci + k).max(i + 1);
                    }
                }
            }
            k += 1;
        }
    }
}
