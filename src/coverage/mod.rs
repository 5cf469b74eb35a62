//! Coverage analysis: service circles, H3 coverage of an area, gaps and maximal-covering
//! proposals. (stub; the coverage issue fills it in)
