// computeInterventionLoss / computeMaxPoolRelu / computeLinear / computeConvReluPool / computeConv3x3 /
// computeAdamSteps: run one fused kernel (or its plain-libtorch reference) on given tensors and return the result
// and its gradient (or the updated parameters), so tests and the GPU check can compare the fused kernels with the
// reference on any device.
#include "node/args.h"
#include "node/errors.h"
#include "node/tensor.h"
#include "kernels/conv_pool.h"
#include "kernels/intervention_loss.h"
#include "node/bindings.h"
#include "kernels/linear.h"
#include "kernels/max_pool_relu.h"
#include "kernels/winograd_conv.h"
#include "models/device.h"
#include "train/adam.h"

namespace camu::kernels {

namespace {

// The differentiable input: checked here because requires_grad on an integer tensor is a libtorch error.
at::Tensor DifferentiableArg(const Options& options, const char* key, const at::Device& device) {
  const at::Tensor& value = Tensor::FromValue(options.Get(key), options.Name(key));
  if (value.scalar_type() != at::kFloat) ThrowTypeError(options.Name(key) + " must be a float32 tensor");
  return value.to(device).detach().requires_grad_(true);
}

// options.implementation: "fused" (the default) or "reference".
bool WantsFused(const Options& options) {
  return options.OneOf("implementation", "fused", {"fused", "reference"}) == "fused";
}

// options.gradOutput, checked against the output it is the gradient of, on the output's device.
at::Tensor GradOutputArg(const Options& options, const at::Tensor& output) {
  at::Tensor gradOutput = Tensor::FromValue(options.Get("gradOutput"), options.Name("gradOutput"));
  if (gradOutput.scalar_type() != at::kFloat || gradOutput.sizes() != output.sizes()) {
    ThrowRangeError(options.Name("gradOutput") + " must be a float32 tensor shaped like the output");
  }
  return gradOutput.to(output.device());
}

// {output} and, given options.gradOutput, the gradient of output·gradOutput w.r.t. each named
// tensor that is defined.
Napi::Object OutputAndGradients(const Napi::Env& env, const Options& options, const at::Tensor& output,
                                std::initializer_list<std::pair<const char*, at::Tensor>> differentiable) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("output", Tensor::Wrap(env, output.detach().contiguous()));
  if (options.Has("gradOutput")) {
    output.backward(GradOutputArg(options, output));
    for (const auto& [name, tensor] : differentiable) {
      if (tensor.defined()) result.Set(name, Tensor::Wrap(env, tensor.grad().contiguous()));
    }
  }
  return result;
}

// computeInterventionLoss({term, teacher, student | logits, labels, rowWeights, split?, implementation, device})
// -> {loss, blockLosses: [rows before split, rows from split], gradient}
Napi::Value ComputeInterventionLoss(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "computeInterventionLoss");
    Options options(info[0], "computeInterventionLoss: options");
    std::string term = options.OneOf("term", "kl", {"kl", "ce"});
    auto implementation = WantsFused(options) ? LossImplementation::kFused : LossImplementation::kReference;
    at::Device device = models::ParseDevice(options.String("device", "cpu"), options.Name("device"));
    at::Tensor rowWeights = Tensor::FromValue(options.Get("rowWeights"), options.Name("rowWeights")).to(device);
    int64_t split = options.Integer("split", rowWeights.dim() == 1 ? rowWeights.size(0) : 0, 0, INT32_MAX);
    at::Tensor input, loss, blockLosses;
    if (term == "kl") {
      at::Tensor teacher = Tensor::FromValue(options.Get("teacher"), options.Name("teacher")).to(device);
      input = DifferentiableArg(options, "student", device);
      at::Tensor blocks = WeightedSoftmaxKL(teacher, input, rowWeights, split, implementation);
      loss = blocks.sum();
      blockLosses = blocks.detach().cpu();
    } else {
      at::Tensor labels = Tensor::FromValue(options.Get("labels"), options.Name("labels"));
      input = DifferentiableArg(options, "logits", device);
      if (labels.dim() == 1 && labels.scalar_type() == at::kLong && labels.numel() > 0 && input.dim() == 2 &&
          (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= input.size(1))) {
        ThrowRangeError(options.Name("labels") + " must be in [0, " + std::to_string(input.size(1)) + ")");
      }
      at::Tensor blocks = WeightedCrossEntropy(input, labels.to(device), rowWeights, split, implementation);
      loss = blocks.sum();
      blockLosses = blocks.detach().cpu();
    }
    loss.backward();
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("loss", loss.item<double>());
    Napi::Array blocks = Napi::Array::New(info.Env(), 2);
    blocks.Set(0u, blockLosses[0].item<double>());
    blocks.Set(1u, blockLosses[1].item<double>());
    result.Set("blockLosses", blocks);
    result.Set("gradient", Tensor::Wrap(info.Env(), input.grad().cpu()));
    return result;
  });
}

// computeMaxPoolRelu({input: float32 [N, C, H, W], gradOutput?, implementation, device, channelsLast?})
// -> {output, gradient?}: relu(max_pool2d(input, 2)) and, given gradOutput, d(output·gradOutput)/d input.
// channelsLast: the input is stored channels-last first (the kernel has a path for each layout).
Napi::Value ComputeMaxPoolRelu(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "computeMaxPoolRelu");
    Options options(info[0], "computeMaxPoolRelu: options");
    auto implementation = WantsFused(options) ? PoolImplementation::kFused : PoolImplementation::kReference;
    at::Device device = models::ParseDevice(options.String("device", "cpu"), options.Name("device"));
    at::Tensor input = DifferentiableArg(options, "input", device);
    if (input.dim() == 4 && options.Boolean("channelsLast", false)) {
      input = input.detach().contiguous(at::MemoryFormat::ChannelsLast).requires_grad_(true);
    }
    if (input.dim() != 4 || input.size(2) < 2 || input.size(3) < 2) {
      ThrowRangeError(options.Name("input") + " must be [N, C, H, W] with H, W >= 2");
    }
    at::Tensor output = MaxPool2x2Relu(input, implementation);
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("output", Tensor::Wrap(info.Env(), output.detach().cpu().contiguous()));
    if (options.Has("gradOutput")) {
      output.backward(GradOutputArg(options, output));
      result.Set("gradient", Tensor::Wrap(info.Env(), input.grad().cpu().contiguous()));
    }
    return result;
  });
}

// computeLinear({input: float32 [M, K], weight: [N, K], bias?: [N], gradOutput?: [M, N], implementation})
// -> {output, gradInput?, gradWeight?, gradBias?}: input·weightᵀ + bias and, given gradOutput, the
// gradients of output·gradOutput.
Napi::Value ComputeLinear(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "computeLinear");
    Options options(info[0], "computeLinear: options");
    auto implementation = WantsFused(options) ? LinearImplementation::kFused : LinearImplementation::kReference;
    const at::Device cpu(at::kCPU);
    at::Tensor input = DifferentiableArg(options, "input", cpu);
    at::Tensor weight = DifferentiableArg(options, "weight", cpu);
    at::Tensor bias = options.Has("bias") ? DifferentiableArg(options, "bias", cpu) : at::Tensor();
    if (input.dim() != 2 || weight.dim() != 2 || input.size(1) != weight.size(1)) {
      ThrowRangeError(options.Name("input") + " [M, K] and " + options.Name("weight") +
                      " [N, K] must be 2-D with the same K");
    }
    if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0))) {
      ThrowRangeError(options.Name("bias") + " must be 1-D with weight's N = " + std::to_string(weight.size(0)) +
                      " entries");
    }
    return OutputAndGradients(info.Env(), options, Linear(input, weight, bias, implementation),
                              {{"gradInput", input}, {"gradWeight", weight}, {"gradBias", bias}});
  });
}

// computeConvReluPool({input: float32 [N, 1, H, W], weight: [C, 1, 5, 5], bias: [C], gradOutput?,
// implementation}) -> {output, gradWeight?, gradBias?}: max_pool2d(relu(conv2d(input, weight, bias,
// padding 2)), 2) and, given gradOutput, the weight and bias gradients of output·gradOutput (the
// input is data: no gradient is taken of it).
Napi::Value ComputeConvReluPool(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "computeConvReluPool");
    Options options(info[0], "computeConvReluPool: options");
    auto implementation = WantsFused(options) ? ConvPoolImplementation::kFused : ConvPoolImplementation::kReference;
    const at::Device cpu(at::kCPU);
    const at::Tensor input = Tensor::FromValue(options.Get("input"), options.Name("input"));
    at::Tensor weight = DifferentiableArg(options, "weight", cpu);
    at::Tensor bias = DifferentiableArg(options, "bias", cpu);
    if (input.scalar_type() != at::kFloat) ThrowTypeError(options.Name("input") + " must be a float32 tensor");
    if (input.dim() != 4 || input.size(1) != 1 || input.size(2) < 2 || input.size(3) < 2) {
      ThrowRangeError(options.Name("input") + " must be [N, 1, H, W] with H, W >= 2");
    }
    if (weight.dim() != 4 || weight.size(1) != 1 || weight.size(2) != 5 || weight.size(3) != 5) {
      ThrowRangeError(options.Name("weight") + " must be [C, 1, 5, 5]");
    }
    if (bias.dim() != 1 || bias.size(0) != weight.size(0)) {
      ThrowRangeError(options.Name("bias") + " must be 1-D with weight's C = " + std::to_string(weight.size(0)) +
                      " entries");
    }
    return OutputAndGradients(info.Env(), options, ConvReluPool(input, weight, bias, implementation),
                              {{"gradWeight", weight}, {"gradBias", bias}});
  });
}

// computeConv3x3({input: float32 [N, C, H, W], weight: [O, C, 3, 3], gradOutput?, implementation})
// -> {output, gradInput?, gradWeight?}: conv2d(input, weight, stride 1, padding 1) by oneDNN's
// Winograd kernels ("fused", where kernels::Conv3x3 takes them) or at::conv2d ("reference"), and,
// given gradOutput, the gradients of output·gradOutput.
Napi::Value ComputeConv3x3(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "computeConv3x3");
    Options options(info[0], "computeConv3x3: options");
    auto implementation = WantsFused(options) ? Conv3x3Implementation::kWinograd : Conv3x3Implementation::kReference;
    const at::Device cpu(at::kCPU);
    at::Tensor input = DifferentiableArg(options, "input", cpu);
    at::Tensor weight = DifferentiableArg(options, "weight", cpu);
    if (input.dim() != 4 || input.size(0) < 1) ThrowRangeError(options.Name("input") + " must be [N, C, H, W] with N >= 1");
    if (weight.dim() != 4 || weight.size(1) != input.size(1) || weight.size(2) != 3 || weight.size(3) != 3) {
      ThrowRangeError(options.Name("weight") + " must be [O, C, 3, 3] with the input's C = " +
                      std::to_string(input.size(1)));
    }
    return OutputAndGradients(info.Env(), options, Conv3x3(input, weight, implementation),
                              {{"gradInput", input}, {"gradWeight", weight}});
  });
}

// options.parameters: an array of float32 tensors, the optimiser's parameters, copied onto the device.
std::vector<at::Tensor> ParameterArgs(const Options& options, const at::Device& device) {
  const Napi::Value value = options.Get("parameters");
  if (!value.IsArray()) {
    ThrowTypeError(options.Name("parameters") + " must be an array of tensors, got " + DescribeJsValue(value));
  }
  const Napi::Array array = value.As<Napi::Array>();
  if (array.Length() == 0) ThrowRangeError(options.Name("parameters") + " must not be empty");
  std::vector<at::Tensor> parameters;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const std::string name = options.Name("parameters") + "[" + std::to_string(i) + "]";
    const at::Tensor& value = Tensor::FromValue(array.Get(i), name);
    if (value.scalar_type() != at::kFloat) ThrowTypeError(name + " must be a float32 tensor");
    parameters.push_back(value.to(device).clone().detach().requires_grad_(true));
  }
  return parameters;
}

// computeAdamSteps({parameters: Tensor[], gradients: (Tensor | null)[], steps?, learningRate?, weightDecay?,
// implementation, device}) -> Tensor[]: the parameters after `steps` Adam steps with these (fixed) gradients, by
// train::FusedAdam ("fused") or torch::optim::Adam ("reference"). A null gradient leaves its parameter out of the
// step, as a parameter the loss does not reach.
Napi::Value ComputeAdamSteps(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    CheckArgCount(info, 1, 1, "computeAdamSteps");
    Options options(info[0], "computeAdamSteps: options");
    const bool fused = WantsFused(options);
    const at::Device device = models::ParseDevice(options.String("device", "cpu"), options.Name("device"));
    const int64_t steps = options.Integer("steps", 1, 1, 100000);
    const double learningRate = options.Number("learningRate", 1e-3);
    const double weightDecay = options.Number("weightDecay", 0);
    if (!(learningRate > 0)) ThrowRangeError(options.Name("learningRate") + " must be > 0");
    if (!(weightDecay >= 0)) ThrowRangeError(options.Name("weightDecay") + " must be >= 0");
    std::vector<at::Tensor> parameters = ParameterArgs(options, device);
    const Napi::Value gradientsValue = options.Get("gradients");
    if (!gradientsValue.IsArray()) {
      ThrowTypeError(options.Name("gradients") + " must be an array of tensors or nulls, got " +
                     DescribeJsValue(gradientsValue));
    }
    const Napi::Array gradients = gradientsValue.As<Napi::Array>();
    if (gradients.Length() != parameters.size()) {
      ThrowRangeError(options.Name("gradients") + " must have one entry per parameter (" +
                      std::to_string(parameters.size()) + "), got " + std::to_string(gradients.Length()));
    }
    for (uint32_t i = 0; i < gradients.Length(); ++i) {
      const Napi::Value entry = gradients.Get(i);
      if (entry.IsNull()) continue;
      const std::string name = options.Name("gradients") + "[" + std::to_string(i) + "]";
      const at::Tensor& gradient = Tensor::FromValue(entry, name);
      if (gradient.scalar_type() != at::kFloat) ThrowTypeError(name + " must be a float32 tensor");
      if (gradient.sizes() != parameters[i].sizes()) ThrowRangeError(name + " must be shaped like its parameter");
      parameters[i].mutable_grad() = gradient.to(device).clone();
    }
    // train::Adam falls back to libtorch's where the fused one does not apply; asked for, it must apply.
    for (const at::Tensor& parameter : parameters) {
      if (fused && !train::FusedAdam::Supports(parameter)) {
        ThrowRangeError("the fused Adam takes contiguous float32 parameters on CPU or CUDA");
      }
    }
    train::Adam adam(parameters, learningRate, weightDecay, fused);
    for (int64_t s = 0; s < steps; ++s) adam.Step();
    Napi::Array result = Napi::Array::New(info.Env(), parameters.size());
    for (uint32_t i = 0; i < parameters.size(); ++i) {
      result.Set(i, Tensor::Wrap(info.Env(), parameters[i].detach().cpu().contiguous()));
    }
    return result;
  });
}

}  // namespace

void RegisterKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("computeInterventionLoss", Napi::Function::New<ComputeInterventionLoss>(env, "computeInterventionLoss"));
  exports.Set("computeMaxPoolRelu", Napi::Function::New<ComputeMaxPoolRelu>(env, "computeMaxPoolRelu"));
  exports.Set("computeLinear", Napi::Function::New<ComputeLinear>(env, "computeLinear"));
  exports.Set("computeConvReluPool", Napi::Function::New<ComputeConvReluPool>(env, "computeConvReluPool"));
  exports.Set("computeConv3x3", Napi::Function::New<ComputeConv3x3>(env, "computeConv3x3"));
  exports.Set("computeAdamSteps", Napi::Function::New<ComputeAdamSteps>(env, "computeAdamSteps"));
}

}  // namespace camu::kernels
