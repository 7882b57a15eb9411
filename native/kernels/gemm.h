// camu's register-blocked AVX-512 GEMM, shared by its CPU kernels.
#pragma once
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>

#include "kernels/avx512.h"

namespace camu::kernels::gemm {

#ifdef CAMU_HAVE_AVX512_KERNELS

// C[i, j] = Σ_p A(i, p) · B[p, j] with B's rows contiguous, one micro-kernel for the fully
// connected layers' three products (linear.cc) and the single-tile Winograd's channel products
// (winograd_single_tile.cc): an MR x (16·NV) tile of C in registers, per p one broadcast of A per
// row and NV vector loads of B (no packing: at these sizes the panels stay in L1/L2). A(i, p) is
// a[i·as + p] (kRowsContiguous) or a[i + p·as]. Columns past `cols` are masked off.

CAMU_AVX512 inline __mmask16 ColumnMask(int64_t remaining) {
  if (remaining >= 16) return static_cast<__mmask16>(0xFFFF);
  if (remaining <= 0) return 0;
  return static_cast<__mmask16>((1u << remaining) - 1);
}

template <int MR, int NV, bool kRowsContiguous>
CAMU_AVX512 void Tile(int64_t depth, const float* a, int64_t as, const float* b, int64_t ldb, float* c, int64_t ldc,
                      int64_t cols) {
  __mmask16 mask[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) mask[v] = ColumnMask(cols - 16 * v);
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < depth; ++p) {
    __m512 row[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) row[v] = _mm512_maskz_loadu_ps(mask[v], b + p * ldb + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 scale = _mm512_set1_ps(kRowsContiguous ? a[i * as + p] : a[i + p * as]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(scale, row[v], acc[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_mask_storeu_ps(c + i * ldc + 16 * v, mask[v], acc[i][v]);
}

// The tile for the last `rows` < MR rows of C (a register block sized to them).
template <int NV, bool kRowsContiguous, int R>
void TileRows(int64_t rows, int64_t depth, const float* a, int64_t as, const float* b, int64_t ldb, float* c,
              int64_t ldc, int64_t cols) {
  if constexpr (R >= 1) {
    if (rows == R) return Tile<R, NV, kRowsContiguous>(depth, a, as, b, ldb, c, ldc, cols);
    TileRows<NV, kRowsContiguous, R - 1>(rows, depth, a, as, b, ldb, c, ldc, cols);
  }
}

// C [rows x cols] = A (rows x depth) · B [depth x cols], ldb / ldc the row strides of B and C.
// Tiles go column block by column block (a block of B is then read from cache by every row
// block) and are split across libtorch's intra-op threads; each tile is summed by one thread in
// one order, so the result does not depend on the thread count.
template <int MR, int NV, bool kRowsContiguous>
void Gemm(int64_t rows, int64_t cols, int64_t depth, const float* a, int64_t as, const float* b, int64_t ldb, float* c,
          int64_t ldc) {
  constexpr int64_t kTileCols = 16 * NV;
  const int64_t rowBlocks = (rows + MR - 1) / MR, colBlocks = (cols + kTileCols - 1) / kTileCols;
  // About a million multiply-adds per parallel task, so the fork costs little.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 20) / (MR * kTileCols * std::max<int64_t>(depth, 1)));
  at::parallel_for(0, rowBlocks * colBlocks, grain, [&](int64_t begin, int64_t end) {
    for (int64_t tile = begin; tile < end; ++tile) {
      const int64_t i0 = (tile % rowBlocks) * MR, j0 = (tile / rowBlocks) * kTileCols;
      const float* aTile = kRowsContiguous ? a + i0 * as : a + i0;
      const int64_t tileRows = std::min<int64_t>(MR, rows - i0);
      if (tileRows == MR) {
        Tile<MR, NV, kRowsContiguous>(depth, aTile, as, b + j0, ldb, c + i0 * ldc + j0, ldc, cols - j0);
      } else {
        TileRows<NV, kRowsContiguous, MR - 1>(tileRows, depth, aTile, as, b + j0, ldb, c + i0 * ldc + j0, ldc,
                                               cols - j0);
      }
    }
  });
}

#endif  // CAMU_HAVE_AVX512_KERNELS

}  // namespace camu::kernels::gemm
