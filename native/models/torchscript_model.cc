#include "models/torchscript_model.h"

#include <caffe2/serialize/versions.h>
#include <torch/script.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <unordered_set>
#include <sstream>

#include <sys/stat.h>

#include "core/call_watch.h"
#include "core/errors.h"
#include "io/safetensors.h"
#include "models/layer_plan.h"

namespace camu::models {

namespace {

// ---- The zip directory, read just far enough to find the version record. ----

uint64_t ReadLe(const uint8_t* bytes, int size) {
  uint64_t value = 0;
  for (int i = size - 1; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

// `path`, when it names a regular file: an ifstream on a FIFO would wait for a writer forever.
const std::string& CheckRegularFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw Error(codes::kIo, path + ": cannot open: " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) throw Error(codes::kIo, path + " is not a regular file");
  return path;
}

class ZipReader {
 public:
  explicit ZipReader(const std::string& path) : path_(CheckRegularFile(path)), in_(path, std::ios::binary) {
    if (!in_) throw Error(codes::kIo, path + ": cannot open: " + std::strerror(errno));
    in_.seekg(0, std::ios::end);
    size_ = static_cast<uint64_t>(in_.tellg());
  }

  std::vector<uint8_t> Read(uint64_t offset, uint64_t size) {
    if (offset > size_ || size > size_ - offset) NotZip("a record points outside the file (truncated?)");
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    if (!in_) throw Error(codes::kIo, path_ + ": read failed");
    return bytes;
  }

  [[noreturn]] void NotZip(const std::string& why) const {
    throw Error(codes::kFormat, path_ + " is not a TorchScript archive (torch.jit.save writes a zip file): " + why);
  }

  uint64_t size() const { return size_; }

 private:
  std::string path_;
  std::ifstream in_;
  uint64_t size_ = 0;
};

// The first line with text (the TorchScript compiler's messages start with a newline).
std::string FirstLine(const std::string& text) {
  const size_t start = std::min(text.size(), text.find_first_not_of(" \t\r\n"));
  const size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The interpreter's errors start with a TorchScript traceback; the cause is its last
// "RuntimeError: ..." line.
std::string ErrorSummary(const std::string& text) {
  size_t cause = text.rfind("RuntimeError: ");
  return cause == std::string::npos ? FirstLine(text) : FirstLine(text.substr(cause + 14));
}

std::string TypeList(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string list;
  for (size_t i = 0; i < names.size() && i < 20; ++i) list += (i ? ", " : "") + names[i];
  if (names.size() > 20) list += ", ...";
  return list;
}

// The submodule at a dotted path, or nullopt.
std::optional<torch::jit::Module> FindSubmodule(const torch::jit::Module& root, const std::string& path) {
  torch::jit::Module current = root;
  std::stringstream atoms(path);
  std::string atom;
  while (std::getline(atoms, atom, '.')) {
    if (atom.empty() || !current.hasattr(atom)) return std::nullopt;
    c10::IValue value = current.attr(atom);
    if (!value.isModule()) return std::nullopt;
    current = value.toModule();
  }
  return current;
}

std::vector<std::string> ChildNames(const torch::jit::Module& module) {
  std::vector<std::string> names;
  for (const auto& child : module.named_children()) names.push_back(child.name);
  return names;
}

// The embedding as [N, D].
at::Tensor FlattenEmbedding(const at::Tensor& embedding) {
  return embedding.dim() > 2 ? embedding.flatten(1) : embedding;
}

class TorchScriptModel : public Model {
 public:
  // `plan`: a clone's, known from the module it was copied from; otherwise read from the module.
  TorchScriptModel(torch::jit::Module module, TorchScriptOptions options, std::string source,
                   std::optional<PlanResult> plan = std::nullopt)
      : module_(std::move(module)), options_(std::move(options)), source_(std::move(source)) {
    if (!options_.features.empty()) {
      features_ = *FindSubmodule(module_, options_.features);
      head_ = *FindSubmodule(module_, options_.head);
    }
    if (!options_.camuKernels) {
      plan_.reason = "off (camuKernels: false)";
    } else {
      plan_ = plan ? *plan : PlanLayers(module_, options_.features, options_.head);
      if (plan_.plan) bound_.emplace(*plan_.plan, module_);
    }
  }

  ModelOutput Forward(const at::Tensor& input) override {
    CheckInput(input, "input");
    try {
      if (bound_) {
        std::call_once(verified_, [&] { VerifyPlan(input); });
        // camu's own kernels: no code from the file runs, so no call watch.
        if (!planFailed_.load()) return CheckOutput(bound_->Forward(input), input.size(0));
      }
      CallWatch::Call call(options_.forwardTimeout, source_ + ": forward");
      return RunForward(input);
    } catch (const Error&) {
      throw;
    } catch (const c10::Error& error) {
      // Usually an input that does not fit; say which module and which shape.
      throw Error(codes::kTorch, source_ + ": forward failed on an input of shape " + Shape(input) + ": " +
                                     ErrorSummary(error.what_without_backtrace()));
    } catch (const std::exception& error) {  // torch::jit::JITException from the interpreter
      throw Error(codes::kTorch, source_ + ": forward failed on an input of shape " + Shape(input) + ": " +
                                     ErrorSummary(error.what()));
    }
  }

  ModelOutput RunForward(const at::Tensor& input) {
    ModelOutput output;
    if (features_) {
      output.embedding = FlattenEmbedding(ExpectTensor(features_->forward({input}), options_.features + ".forward"));
      output.logits = ExpectTensor(head_->forward({output.embedding}), options_.head + ".forward");
    } else {
      c10::IValue result = module_.forward({input});
      auto tuple = result.toTuple();  // the schema was checked at load
      const auto& elements = tuple->elements();
      output.logits = ExpectTensor(elements[0], "forward()[0]");
      output.embedding = FlattenEmbedding(ExpectTensor(elements[1], "forward()[1]"));
    }
    return CheckOutput(std::move(output), input.size(0));
  }

  ModelOutput CheckOutput(ModelOutput output, int64_t batch) {
    if (output.logits.dim() != 2 || output.logits.size(0) != batch || output.embedding.dim() != 2 ||
        output.embedding.size(0) != batch) {
      throw Error(codes::kFormat, source_ + ": for a batch of " + std::to_string(batch) +
                                      " the module returned logits of shape " + Shape(output.logits) +
                                      " and an embedding of shape " + Shape(output.embedding) +
                                      "; needed [N, C] and [N, D] (or [N, ...], flattened)");
    }
    numClasses_.store(output.logits.size(1));
    embeddingSize_.store(output.embedding.size(1));
    return output;
  }

  // Checks the plan against the module's own forward on the first batch the model sees (evaluation
  // mode, no gradients); on a difference the module's forward runs from then on, and
  // DescribeExecution() says why. A safety net: the recognised layers mean the same operations.
  void VerifyPlan(const at::Tensor& input) {
    torch::NoGradGuard noGrad;
    TrainingModeGuard eval(*this, false);
    ModelOutput own;
    {
      CallWatch::Call call(options_.forwardTimeout, source_ + ": forward");
      own = RunForward(input);  // its errors are the caller's: this input does not fit the module
    }
    ModelOutput planned;
    try {
      planned = bound_->Forward(input);
    } catch (const std::exception& error) {
      plan_.reason = std::string("camu's kernels failed on the module's first batch: ") + FirstLine(error.what());
      planFailed_.store(true);
      return;
    }
    auto close = [](const at::Tensor& a, const at::Tensor& b) {
      if (!a.sizes().equals(b.sizes())) return false;
      const double scale = 1 + b.abs().max().item<double>();
      return (a - b).abs().max().item<double>() <= 1e-4 * scale;
    };
    if (!close(planned.logits, own.logits) || !close(planned.embedding, own.embedding)) {
      plan_.reason = "camu's kernels did not reproduce the module's forward on its first batch";
      planFailed_.store(true);  // after the reason: DescribeExecution reads it once this is set
    }
  }

  Execution DescribeExecution() const override {
    if (bound_ && !planFailed_.load()) return {"camu-kernels", bound_->plan().Describe(), ""};
    return {"torchscript", {}, plan_.reason};
  }

  double CallTimeLimit() const override { return options_.forwardTimeout; }
  void SetTraining(bool training) override { module_.train(training); }
  bool IsTraining() const override { return module_.is_training(); }

  std::vector<at::Tensor> Parameters() const override {
    std::vector<at::Tensor> parameters;
    for (const at::Tensor& parameter : module_.parameters()) {
      if (parameter.requires_grad()) parameters.push_back(parameter);
    }
    return parameters;
  }

  NamedTensors NamedState() const override {
    // nn.Module.state_dict order: each module's own parameters, then its buffers, then children.
    NamedTensors state;
    for (const auto& named : module_.named_modules()) {
      std::string prefix = named.name.empty() ? "" : named.name + ".";
      for (const auto& parameter : named.value.named_parameters(/*recurse=*/false)) {
        state.emplace_back(prefix + parameter.name, parameter.value);
      }
      for (const auto& buffer : named.value.named_buffers(/*recurse=*/false)) {
        state.emplace_back(prefix + buffer.name, buffer.value);
      }
    }
    return state;
  }

  // A copy of the module sharing no storage, whose parameters are leaves that require gradients
  // where the module's do (deepcopy under no-grad drops the flag; with grad they would not be leaves).
  torch::jit::Module CopyModule() const {
    torch::jit::Module copy;
    {
      torch::NoGradGuard noGrad;
      copy = module_.deepcopy();
    }
    auto original = module_.named_parameters();
    auto copied = copy.named_parameters();
    auto it = copied.begin();
    for (const auto& parameter : original) {
      (*it).value.requires_grad_(parameter.value.requires_grad());
      ++it;
    }
    return copy;
  }

  std::shared_ptr<Model> Clone() const override {
    auto clone = std::make_shared<TorchScriptModel>(CopyModule(), options_, source_, plan_);
    if (planFailed_.load() || !bound_) clone->bound_.reset();
    clone->numClasses_.store(numClasses_.load());
    clone->embeddingSize_.store(embeddingSize_.load());
    return clone;
  }

  void To(const at::Device& device) override {
    module_.to(device);
    if (bound_) bound_.emplace(plan_.plan.value(), module_);  // the module's tensors, wherever they now are
  }

  at::Device Device() const override {
    for (const at::Tensor& parameter : module_.parameters()) return parameter.device();
    for (const at::Tensor& buffer : module_.buffers()) return buffer.device();
    return at::Device(at::kCPU);
  }

  bool HasBatchStatistics() const override {
    for (const auto& module : module_.modules()) {
      std::string type = module.type()->name() ? module.type()->name()->qualifiedName() : "";
      if (type.find("BatchNorm") != std::string::npos || type.find("SyncBatchNorm") != std::string::npos) return true;
      for (const auto& buffer : module.named_buffers(/*recurse=*/false)) {
        if (buffer.name == "running_mean") return true;
      }
    }
    return false;
  }

  std::string Architecture() const override { return "torchscript"; }
  const data::InputSpec& Input() const override { return *options_.input; }
  std::vector<int64_t> InputShape() const override { return options_.inputShape; }
  int64_t NumClasses() const override { return numClasses_.load(); }
  int64_t EmbeddingSize() const override { return embeddingSize_.load(); }

  // Saved with trainable parameters: a file reloaded from it trains like this model.
  torch::jit::Module ToTorchScript() const override { return CopyModule(); }

  bool UsesSubmodules() const { return features_.has_value(); }
  torch::jit::Module& module() { return module_; }

 private:
  at::Tensor ExpectTensor(const c10::IValue& value, const std::string& what) const {
    if (!value.isTensor()) {
      throw Error(codes::kFormat, source_ + ": " + what + " returned " + value.type()->annotation_str() + ", not a Tensor");
    }
    return value.toTensor();
  }
  static std::string Shape(const at::Tensor& tensor) {
    std::string text = "[";
    for (int64_t d = 0; d < tensor.dim(); ++d) text += (d ? ", " : "") + std::to_string(tensor.size(d));
    return text + "]";
  }

  torch::jit::Module module_;
  std::optional<torch::jit::Module> features_, head_;
  TorchScriptOptions options_;
  std::string source_;
  PlanResult plan_;
  std::optional<BoundLayerPlan> bound_;
  std::once_flag verified_;
  std::atomic<bool> planFailed_{false};
  std::atomic<int64_t> numClasses_{-1}, embeddingSize_{-1};
};

// Checks the module against the two conventions; the message says what was found and needed.
// A damaged or crafted file whose tensors do not fit the bytes it holds: libtorch loads such a file
// without complaint and then reads past the storage (memory that is not the model's, or not
// mapped). Before any forward pass, every tensor the module holds (parameters, buffers and tensor
// attributes, also inside lists, tuples, dicts and objects) must lie inside its storage, and every
// storage must have been read whole from a record of the archive (data/<key>, which torch.jit.save
// writes one per storage, of the storage's size).
class StorageCheck {
 public:
  StorageCheck(const TorchArchiveInfo& archive, const std::string& path)
      : records_(archive.dataRecordSizes.begin(), archive.dataRecordSizes.end()), path_(path) {}

  void Visit(const c10::IValue& value, const std::string& name, int depth) {
    if (depth > 256) Fail("'" + name + "' nests deeper than 256 levels");
    if (value.isTensor()) return CheckTensor(value.toTensor(), name);
    if (value.isObject()) {
      const c10::intrusive_ptr<c10::ivalue::Object> object = value.toObject();
      if (!objects_.insert(object.get()).second) return;
      const c10::ClassTypePtr type = object->type();
      for (size_t i = 0; i < object->slots().size(); ++i) {
        const std::string slot = i < type->numAttributes() ? type->getAttributeName(i) : std::to_string(i);
        Visit(object->getSlot(i), name.empty() ? slot : name + "." + slot, depth + 1);
      }
    } else if (value.isList()) {
      const c10::List<c10::IValue> list = value.toList();
      for (size_t i = 0; i < list.size(); ++i) Visit(list.get(i), name + "[" + std::to_string(i) + "]", depth + 1);
    } else if (value.isTuple()) {
      const auto& elements = value.toTupleRef().elements();
      for (size_t i = 0; i < elements.size(); ++i) Visit(elements[i], name + "[" + std::to_string(i) + "]", depth + 1);
    } else if (value.isGenericDict()) {
      for (const auto& entry : value.toGenericDict()) {
        Visit(entry.key(), name + "{key}", depth + 1);
        Visit(entry.value(), name + "{value}", depth + 1);
      }
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& why) const {
    throw Error(codes::kFormat, path_ + ": " + why + ": the file is damaged or was crafted; it was not used");
  }

  void CheckTensor(const at::Tensor& tensor, const std::string& name) {
    if (!tensor.defined() || !tensor.has_storage()) return;
    // The last element's offset: storage_offset + sum((size_i - 1) * stride_i), without overflow.
    uint64_t last = 0, bytes = 0;
    bool fits = tensor.storage_offset() >= 0;
    if (tensor.numel() > 0) {
      last = static_cast<uint64_t>(tensor.storage_offset());
      for (int64_t d = 0; d < tensor.dim() && fits; ++d) {
        uint64_t reach = 0;
        fits = tensor.stride(d) >= 0 &&
               !__builtin_mul_overflow(static_cast<uint64_t>(tensor.size(d) - 1), static_cast<uint64_t>(tensor.stride(d)), &reach) &&
               !__builtin_add_overflow(last, reach, &last);
      }
      fits = fits && !__builtin_mul_overflow(last + 1, static_cast<uint64_t>(tensor.element_size()), &bytes);
    }
    const at::Storage& storage = tensor.storage();
    if (!fits || bytes > storage.nbytes()) {
      std::ostringstream message;
      message << "tensor '" << name << "' (shape " << tensor.sizes() << ", strides " << tensor.strides() << ", offset "
              << tensor.storage_offset() << ") reaches past its storage of " << storage.nbytes() << " bytes";
      Fail(message.str());
    }
    if (!storages_.insert(storage.unsafeGetStorageImpl()).second) return;
    auto record = records_.find(static_cast<uint64_t>(storage.nbytes()));
    if (record == records_.end()) {
      Fail("the storage of tensor '" + name + "' has " + std::to_string(storage.nbytes()) +
           " bytes, and no data record of the archive holds that many");
    }
    records_.erase(record);
  }

  std::multiset<uint64_t> records_;  // the data records' sizes not yet matched to a storage
  std::string path_;
  std::unordered_set<const void*> objects_, storages_;
};

void CheckConvention(const torch::jit::Module& module, const TorchScriptOptions& options, const std::string& path) {
  auto forward = module.find_method("forward");
  if (!forward) {
    throw Error(codes::kFormat, path + ": the module has no forward method; camu needs forward(x) returning "
                                       "(logits, embedding), or logits with features/head submodules named");
  }
  const c10::FunctionSchema& schema = forward->function().getSchema();
  if (schema.arguments().size() < 2) {
    throw Error(codes::kFormat, path + ": forward takes no input (" + c10::str(schema) + "); camu needs forward(self, x)");
  }
  for (size_t i = 2; i < schema.arguments().size(); ++i) {
    if (!schema.arguments()[i].default_value()) {
      throw Error(codes::kFormat, path + ": forward needs more than one input (" + c10::str(schema) +
                                      "); camu calls forward(x) with one image batch");
    }
  }
  std::string returns = schema.returns().size() == 1 ? schema.returns()[0].type()->annotation_str() : "several values";
  bool pair = false;
  if (schema.returns().size() == 1) {
    if (auto tuple = schema.returns()[0].type()->cast<c10::TupleType>()) {
      pair = tuple->elements().size() == 2 && tuple->elements()[0]->kind() == c10::TypeKind::TensorType &&
             tuple->elements()[1]->kind() == c10::TypeKind::TensorType;
    }
  }
  bool named = !options.features.empty() || !options.head.empty();
  if (named) {
    if (options.features.empty() || options.head.empty()) {
      ThrowValueError("loadTorchScript: name both options.features and options.head, or neither");
    }
    for (const std::string* name : {&options.features, &options.head}) {
      auto submodule = FindSubmodule(module, *name);
      if (!submodule) {
        throw Error(codes::kFormat, path + ": no submodule '" + *name + "'; top-level submodules: " + TypeList(ChildNames(module)));
      }
      if (!submodule->find_method("forward")) {
        throw Error(codes::kFormat, path + ": submodule '" + *name + "' has no forward method");
      }
    }
    return;
  }
  if (pair) return;
  throw Error(codes::kFormat,
              path + ": forward returns " + returns +
                  "; camu needs forward to return (logits, embedding) as Tuple[Tensor, Tensor], or to return logits "
                  "with options.features and options.head naming submodules such that logits = head(features(x)) "
                  "(embedding = features(x)). Top-level submodules: " + TypeList(ChildNames(module)));
}

// With a fixed input shape: one eval-mode pass on a seeded random batch checks the outputs'
// shapes and, in the features/head form, that head(features(x)) is forward(x).
void Probe(TorchScriptModel& model, const std::string& path) {
  torch::NoGradGuard noGrad;
  TrainingModeGuard eval(model, false);
  std::vector<int64_t> shape = model.InputShape();
  shape.insert(shape.begin(), 2);
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(0);
  at::Tensor input = at::rand(shape, generator).to(model.Device());
  ModelOutput output = model.Forward(input);
  if (model.UsesSubmodules()) {
    c10::IValue full = model.module().forward({input});
    if (!full.isTensor() || !full.toTensor().sizes().equals(output.logits.sizes()) ||
        !at::allclose(full.toTensor(), output.logits, 1e-4, 1e-5)) {
      throw Error(codes::kFormat, path + ": head(features(x)) does not reproduce forward(x); options.features and "
                                         "options.head must be the submodules forward composes (embedding = features(x))");
    }
  }
}

// camu's export records the model's input spec and shape in this extra file of the archive.
constexpr const char* kCamuExtraFile = "camu.txt";

// Fills unset options from the record ("input_mean 0.5 ...\ninput_std ...\ninput_shape 1 28 28").
void ApplyRecordedInput(const std::string& record, const std::string& path, TorchScriptOptions& options) {
  std::map<std::string, std::vector<double>> values;
  std::istringstream lines(record);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    double value;
    while (fields >> value) values[key].push_back(value);
    if (!fields.eof()) throw Error(codes::kFormat, path + ": malformed camu.txt record: " + line);
  }
  if (!options.input) options.input = data::InputSpec{values["input_mean"], values["input_std"]};
  if (options.inputShape.empty()) {
    for (double dim : values["input_shape"]) options.inputShape.push_back(static_cast<int64_t>(dim));
  }
}

}  // namespace

TorchArchiveInfo ReadTorchArchiveInfo(const std::string& path) {
  ZipReader zip(path);
  // End-of-central-directory record: in the last 22 + 65535 bytes.
  uint64_t tail = std::min<uint64_t>(zip.size(), 22 + 65535);
  if (zip.size() < 22) zip.NotZip("the file is too short");
  std::vector<uint8_t> end = zip.Read(zip.size() - tail, tail);
  int64_t eocd = -1;
  for (int64_t i = static_cast<int64_t>(tail) - 22; i >= 0; --i) {
    if (ReadLe(&end[i], 4) == 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) zip.NotZip("no zip directory found (truncated, or another format)");
  uint64_t entries = ReadLe(&end[eocd + 10], 2);
  uint64_t directorySize = ReadLe(&end[eocd + 12], 4);
  uint64_t directoryOffset = ReadLe(&end[eocd + 16], 4);
  if (entries == 0xFFFF || directoryOffset == 0xFFFFFFFF || directorySize == 0xFFFFFFFF) {
    // Zip64: the locator sits just before the classic record.
    uint64_t locatorAt = zip.size() - tail + static_cast<uint64_t>(eocd);
    if (locatorAt < 20) zip.NotZip("broken zip64 directory");
    std::vector<uint8_t> locator = zip.Read(locatorAt - 20, 20);
    if (ReadLe(&locator[0], 4) != 0x07064b50) zip.NotZip("broken zip64 directory");
    std::vector<uint8_t> record = zip.Read(ReadLe(&locator[8], 8), 56);
    if (ReadLe(&record[0], 4) != 0x06064b50) zip.NotZip("broken zip64 directory");
    entries = ReadLe(&record[32], 8);
    directorySize = ReadLe(&record[40], 8);
    directoryOffset = ReadLe(&record[48], 8);
  }
  std::vector<uint8_t> directory = zip.Read(directoryOffset, directorySize);
  TorchArchiveInfo info;
  size_t at = 0;
  for (uint64_t e = 0; e < entries; ++e) {
    if (at + 46 > directory.size() || ReadLe(&directory[at], 4) != 0x02014b50) zip.NotZip("corrupt zip directory");
    uint64_t method = ReadLe(&directory[at + 10], 2);
    uint64_t compressedSize = ReadLe(&directory[at + 20], 4);
    uint64_t nameLength = ReadLe(&directory[at + 28], 2);
    uint64_t extraLength = ReadLe(&directory[at + 30], 2);
    uint64_t commentLength = ReadLe(&directory[at + 32], 2);
    uint64_t uncompressedSize = ReadLe(&directory[at + 24], 4);
    uint64_t localOffset = ReadLe(&directory[at + 42], 4);
    if (at + 46 + nameLength + extraLength > directory.size()) zip.NotZip("corrupt zip directory");
    std::string name(reinterpret_cast<const char*>(&directory[at + 46]), nameLength);
    if (localOffset == 0xFFFFFFFF || compressedSize == 0xFFFFFFFF || uncompressedSize == 0xFFFFFFFF) {
      // Zip64 extra field: uncompressed, compressed size, local offset, each only if saturated.
      size_t x = at + 46 + nameLength, xEnd = x + extraLength;
      while (x + 4 <= xEnd) {
        uint64_t id = ReadLe(&directory[x], 2), length = ReadLe(&directory[x + 2], 2);
        if (x + 4 + length > xEnd) break;
        if (id == 0x0001) {
          size_t field = x + 4;
          if (uncompressedSize == 0xFFFFFFFF && field + 8 <= x + 4 + length) uncompressedSize = ReadLe(&directory[field], 8), field += 8;
          if (compressedSize == 0xFFFFFFFF && field + 8 <= x + 4 + length) compressedSize = ReadLe(&directory[field], 8), field += 8;
          if (localOffset == 0xFFFFFFFF && field + 8 <= x + 4 + length) localOffset = ReadLe(&directory[field], 8);
        }
        x += 4 + length;
      }
    }
    at += 46 + nameLength + extraLength + commentLength;

    size_t slash = name.find('/');
    if (slash == std::string::npos) continue;
    std::string inside = name.substr(slash + 1);
    if (inside.rfind("code/", 0) == 0) info.hasCode = true;
    if (inside.rfind("data/", 0) == 0 && inside.find('/', 5) == std::string::npos) {
      info.dataRecordSizes.push_back(uncompressedSize);
    }
    if ((inside == "version" || inside == ".data/version") && method == 0 && compressedSize <= 32) {
      std::vector<uint8_t> local = zip.Read(localOffset, 30);
      if (ReadLe(&local[0], 4) != 0x04034b50) zip.NotZip("corrupt local header");
      uint64_t dataAt = localOffset + 30 + ReadLe(&local[26], 2) + ReadLe(&local[28], 2);
      std::vector<uint8_t> content = zip.Read(dataAt, compressedSize);
      std::string text(content.begin(), content.end());
      uint64_t version = 0;
      bool digits = false;
      for (char c : text) {
        if (c >= '0' && c <= '9') {
          version = version * 10 + static_cast<uint64_t>(c - '0');
          digits = true;
        } else if (!std::isspace(static_cast<unsigned char>(c))) {
          digits = false;
          break;
        }
      }
      if (digits) info.formatVersion = std::max(info.formatVersion.value_or(0), version);
    }
  }
  return info;
}

std::shared_ptr<Model> LoadTorchScript(const std::string& path, const TorchScriptOptions& options) {
  if (!options.trustCode) {
    throw Error(codes::kUntrustedCode,
                path + ": loading TorchScript runs code stored in the file (its __setstate__ and forward methods) with this "
                       "process's rights. Load it with trustCode: true (camu CLI: --trust-torchscript) only when you trust "
                       "where the file comes from; or save its weights as safetensors and load them into a built-in "
                       "architecture (loadWeights), which runs no code from the file (docs/reliability.md).");
  }
  if (options.forwardTimeout < 0 || !std::isfinite(options.forwardTimeout)) {
    ThrowRangeError("forwardTimeout must be a finite number of seconds >= 0 (0 = no limit), got " +
                    std::to_string(options.forwardTimeout));
  }
  // Loading runs the file's code (__setstate__, then the probe's forward): one call under the limit.
  CallWatch::Call call(options.forwardTimeout, path + ": load");
  TorchArchiveInfo archive = ReadTorchArchiveInfo(path);
  const uint64_t maxVersion = caffe2::serialize::kMaxSupportedFileFormatVersion;
  std::string linked = std::string("libtorch ") + TORCH_VERSION;
  if (archive.formatVersion && *archive.formatVersion > maxVersion) {
    throw Error(codes::kUnsupported,
                path + " has TorchScript file-format version " + std::to_string(*archive.formatVersion) +
                    ", written by a newer torch than the linked " + linked + " (reads versions up to " +
                    std::to_string(maxVersion) + "). Save it with torch " + std::to_string(TORCH_VERSION_MAJOR) + "." +
                    std::to_string(TORCH_VERSION_MINOR) + ", or rebuild camu against a newer libtorch.");
  }
  if (!archive.hasCode) {
    throw Error(codes::kFormat, path + " is a PyTorch archive without TorchScript code: a torch.save() checkpoint, "
                                       "not a TorchScript module. Save torch.jit.script(model) with torch.jit.save, "
                                       "or save the state_dict as safetensors and load it into a built-in model.");
  }
  torch::jit::Module module;
  torch::jit::ExtraFilesMap extraFiles{{kCamuExtraFile, ""}};
  try {
    c10::optional<at::Device> device;
    if (options.device) device = *options.device;
    module = torch::jit::load(path, device, extraFiles);
  } catch (const c10::Error& error) {
    std::string version = archive.formatVersion ? std::to_string(*archive.formatVersion) : "unknown";
    throw Error(codes::kFormat, path + ": the linked " + linked + " could not load this TorchScript file (file-format version " +
                                    version + "): " + ErrorSummary(error.what_without_backtrace()) +
                                    ". The file is damaged, or was saved by a newer torch whose operators " + linked +
                                    " lacks (then save it with that libtorch's torch version, or rebuild camu against a newer one).");
  } catch (const std::exception& error) {
    // The TorchScript compiler's own errors (code that does not compile: a damaged code record)
    // are not c10::Errors.
    throw Error(codes::kFormat, path + ": the linked " + linked + " could not compile this file's TorchScript code: " +
                                    ErrorSummary(error.what()));
  }
  StorageCheck(archive, path).Visit(module._ivalue(), "", 0);
  CheckConvention(module, options, path);
  TorchScriptOptions resolved = options;
  ApplyRecordedInput(extraFiles[kCamuExtraFile], path, resolved);
  auto model = std::make_shared<TorchScriptModel>(std::move(module), resolved, path);
  const std::vector<int64_t>& shape = resolved.inputShape;
  bool fixed = !shape.empty() && std::all_of(shape.begin(), shape.end(), [](int64_t dim) { return dim > 0; });
  if (fixed) Probe(*model, path);
  return model;
}

void SaveTorchScript(const torch::jit::Module& module, const std::string& path, const Model* model) {
  torch::jit::ExtraFilesMap extraFiles;
  if (model != nullptr) {
    std::ostringstream record;
    auto line = [&record](const char* key, const auto& values) {
      record << key;
      for (auto value : values) record << ' ' << value;
      record << '\n';
    };
    record.precision(17);
    line("input_mean", model->Input().mean);
    line("input_std", model->Input().std);
    line("input_shape", model->InputShape());
    extraFiles[kCamuExtraFile] = record.str();
  }
  io::WriteFileAtomically(path, [&](const std::string& tempPath) {
    try {
      module.save(tempPath, extraFiles);
    } catch (const c10::Error& error) {
      throw Error(codes::kIo, path + ": cannot write TorchScript: " + FirstLine(error.what_without_backtrace()));
    }
  });
}

}  // namespace camu::models
