#include "metrics/logistic.h"

#include <cmath>

#include "core/errors.h"

namespace camu::metrics {

namespace {

// log(1 + e^t) without overflow.
double Softplus(double t) { return t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t)); }

double Sigmoid(double t) {
  if (t >= 0) return 1.0 / (1.0 + std::exp(-t));
  double e = std::exp(t);
  return e / (1.0 + e);
}

struct Problem {
  const std::vector<double>& z;  // standardised feature
  const std::vector<uint8_t>& y;
  double c;

  double Objective(double w, double b) const {
    double loss = 0;
    for (size_t i = 0; i < z.size(); ++i) {
      double t = w * z[i] + b;
      loss += Softplus(t) - (y[i] ? t : 0.0);
    }
    return 0.5 * w * w + c * loss;
  }
};

}  // namespace

LogisticModel1D FitLogistic1D(const std::vector<double>& x, const std::vector<uint8_t>& member, double c) {
  if (x.empty() || x.size() != member.size()) {
    throw Error(codes::kInternal, "FitLogistic1D: feature and target lengths differ or are empty");
  }
  const double n = static_cast<double>(x.size());
  LogisticModel1D model;
  double sum = 0;
  for (double v : x) sum += v;
  model.mean = sum / n;
  double squares = 0;
  for (double v : x) squares += (v - model.mean) * (v - model.mean);
  double deviation = std::sqrt(squares / n);
  model.scale = deviation > 0 ? deviation : 1.0;
  std::vector<double> z(x.size());
  for (size_t i = 0; i < x.size(); ++i) z[i] = (x[i] - model.mean) / model.scale;

  Problem problem{z, member, c};
  double w = 0, b = 0;
  double objective = problem.Objective(w, b);
  const int kMaxIterations = 100;
  for (int iteration = 0; iteration < kMaxIterations; ++iteration) {
    // Gradient and Hessian of the objective in (w, b).
    double gw = w, gb = 0, hww = 1, hwb = 0, hbb = 0;
    for (size_t i = 0; i < z.size(); ++i) {
      double p = Sigmoid(w * z[i] + b);
      double residual = p - (member[i] ? 1.0 : 0.0);
      double curvature = p * (1 - p);
      gw += c * residual * z[i];
      gb += c * residual;
      hww += c * curvature * z[i] * z[i];
      hwb += c * curvature * z[i];
      hbb += c * curvature;
    }
    if (std::max(std::fabs(gw), std::fabs(gb)) <= 1e-10 * (1 + c * n)) break;
    // Newton direction; the bias curvature vanishes on confidently separated data, so a tiny
    // ridge keeps the 2x2 system solvable (the line search keeps the step a descent).
    hbb += 1e-12 * (1 + c * n);
    double det = hww * hbb - hwb * hwb;
    double dw = -(hbb * gw - hwb * gb) / det;
    double db = -(hww * gb - hwb * gw) / det;
    double slope = gw * dw + gb * db;
    if (!(slope < 0)) {  // not a descent direction (rounding): fall back to the gradient
      dw = -gw;
      db = -gb;
      slope = -(gw * gw + gb * gb);
    }
    double step = 1;
    double next = problem.Objective(w + dw, b + db);
    while (next > objective + 1e-4 * step * slope && step > 1e-12) {
      step *= 0.5;
      next = problem.Objective(w + step * dw, b + step * db);
    }
    model.iterations = iteration + 1;
    if (!(next <= objective)) break;  // no further decrease representable
    w += step * dw;
    b += step * db;
    bool settled = objective - next <= 1e-15 * std::max(1.0, std::fabs(objective));
    objective = next;
    if (settled) break;
  }
  model.weight = w;
  model.bias = b;
  return model;
}

std::vector<double> Gather(const at::Tensor& values, const at::Tensor& rows) {
  const double* v = values.data_ptr<double>();
  const int64_t* r = rows.data_ptr<int64_t>();
  std::vector<double> out(rows.numel());
  for (int64_t i = 0; i < rows.numel(); ++i) out[i] = v[r[i]];
  return out;
}

at::Tensor SeededSubsample(int64_t n, int64_t count, at::Generator& generator) {
  return at::randperm(n, generator, at::kLong).slice(0, 0, count).contiguous();
}

}  // namespace camu::metrics
