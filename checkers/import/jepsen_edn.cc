// Jepsen history.edn and Porcupine kv importers (both EDN maps of ops).
#include <fmt/format.h>

#include <algorithm>

#include "checkers/import/edn.h"
#include "checkers/import/import.h"
#include "checkers/import/jepsen_ops.h"
#include "checkers/import/pairing.h"

namespace faultline::checkers {
namespace {

Status LineError(const std::string& source, int line, const std::string& what) {
  return Status::InvalidArgument(fmt::format("{}:{}: {}", source, line, what));
}

bool IsPair(const EdnValue* v) { return v != nullptr && v->IsSequential() && v->items.size() == 2; }

// Fills f's value fields of `op` from `value` (the event's :value, never an independent tuple).
Status FillValue(const std::string& source, int line, ModelKind model, const EdnValue& value,
                 Op* op) {
  switch (op->f) {
    case Fn::kCas:
      if (value.IsNil()) return Status::Ok();  // e.g. a completion without a value
      if (!IsPair(&value)) return LineError(source, line, "cas value must be [from to]");
      op->expected = value.items[0].Scalar();
      op->value = value.items[1].Scalar();
      return Status::Ok();
    case Fn::kReadSet:
      if (value.IsNil()) return Status::Ok();
      if (!value.IsSequential() && value.type != EdnValue::Type::kSet) {
        return LineError(source, line, "set read value must be a collection");
      }
      for (const EdnValue& e : value.items) op->elements.push_back(e.Scalar().value_or("nil"));
      return Status::Ok();
    case Fn::kTxn:
      if (value.IsNil()) return Status::Ok();
      if (!value.IsSequential()) return LineError(source, line, "txn value must be a vector");
      for (const EdnValue& m : value.items) {
        if (!m.IsSequential() || m.items.size() != 3 ||
            !(m.items[0].IsKeyword("read") || m.items[0].IsKeyword("write"))) {
          return LineError(source, line, "txn micro-op must be [:read k v] or [:write k v]");
        }
        op->txn.push_back({m.items[0].IsKeyword("write"), m.items[1].Scalar().value_or("nil"),
                           m.items[2].Scalar()});
      }
      return Status::Ok();
    case Fn::kAcquire:
    case Fn::kRelease:
      return Status::Ok();
    default:
      op->value = value.Scalar();
      return Status::Ok();
  }
}

std::optional<Fn> FnFromKeyword(const EdnValue& f, ModelKind model) {
  if (f.type != EdnValue::Type::kKeyword) return std::nullopt;
  if (f.s == "read") return model == ModelKind::kSet ? Fn::kReadSet : Fn::kRead;
  return FnFromName(f.s);
}

// Converts a sequence of op maps. `keyed`: Porcupine kv maps with :key.
Result<History> Convert(const std::vector<const EdnValue*>& maps, const std::string& source,
                        ModelKind model) {
  // Independent [key value] tuples: a read/write value that is a pair, or a cas whose value is
  // [k [from to]] (a plain cas value [from to] has a scalar second element).
  bool independent = false;
  for (const EdnValue* m : maps) {
    const EdnValue* f = m->Get("f");
    const EdnValue* v = m->Get("value");
    if (f == nullptr || !IsPair(v)) continue;
    if (f->IsKeyword("read") || f->IsKeyword("write") || f->IsKeyword("add") ||
        (f->IsKeyword("cas") && IsPair(&v->items[1]))) {
      if (model != ModelKind::kMultiRegister && model != ModelKind::kSet) independent = true;
    }
  }
  Pairer pairer(source);
  for (const EdnValue* m : maps) {
    const int line = m->line;
    if (m->type != EdnValue::Type::kMap) return LineError(source, line, "expected an op map");
    const EdnValue* process = m->Get("process");
    const EdnValue* type = m->Get("type");
    const EdnValue* f = m->Get("f");
    if (process == nullptr || type == nullptr || f == nullptr) {
      return LineError(source, line, "op map needs :process, :type and :f");
    }
    if (process->type == EdnValue::Type::kKeyword) continue;  // :nemesis and friends
    if (process->type != EdnValue::Type::kInt) {
      return LineError(source, line, "bad :process " + process->ToString());
    }
    RawEvent ev;
    ev.line = line;
    ev.op.process = process->i;
    if (type->IsKeyword("invoke")) {
      ev.invoke = true;
    } else if (auto o = type->type == EdnValue::Type::kKeyword ? OutcomeFromName(type->s)
                                                               : std::nullopt) {
      ev.outcome = *o;
    } else {
      return LineError(source, line, "bad :type " + type->ToString());
    }
    auto fn = FnFromKeyword(*f, model);
    if (!fn) return LineError(source, line, "unknown :f " + f->ToString());
    ev.op.f = *fn;
    if (const EdnValue* key = m->Get("key")) ev.op.key = key->Scalar().value_or("nil");
    static const EdnValue kNil;
    const EdnValue* value = m->Get("value");
    if (value == nullptr) value = &kNil;
    if (independent && ev.op.f != Fn::kAcquire && ev.op.f != Fn::kRelease) {
      if (!IsPair(value)) {
        return LineError(source, line, "independent history: value must be [key value]");
      }
      ev.op.key = value->items[0].Scalar().value_or("nil");
      value = &value->items[1];
    }
    Status st = FillValue(source, line, model, *value, &ev.op);
    if (!st.ok()) return st;
    st = pairer.Add(std::move(ev));
    if (!st.ok()) return st;
  }
  History h;
  h.ops = pairer.Take();
  h.model = std::string(ModelKindName(model));
  h.source = source;
  return h;
}

}  // namespace

Status ReadJepsenOps(std::string_view text, std::string_view source, std::vector<EdnValue>* forms,
                     std::vector<const EdnValue*>* maps) {
  EdnReader reader(text, source);
  forms->reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  while (!reader.AtEnd()) {
    auto form = reader.Next();
    if (!form.ok()) return form.status();
    forms->push_back(std::move(*form));
  }
  const bool one_sequence = forms->size() == 1 && (*forms)[0].IsSequential();
  for (const EdnValue& m : one_sequence ? (*forms)[0].items : *forms) maps->push_back(&m);
  return Status::Ok();
}

Result<History> ImportJepsenEdn(std::string_view text, const std::string& source, ModelKind model) {
  std::vector<EdnValue> forms;
  std::vector<const EdnValue*> maps;
  Status read = ReadJepsenOps(text, source, &forms, &maps);
  if (!read.ok()) return read;
  auto h = Convert(maps, source, model);
  if (h.ok() && model != ModelKind::kSet) {
    h->initial_value = std::nullopt;  // Knossos registers start as nil
  }
  return h;
}

Result<History> ImportPorcupineKv(std::string_view text, const std::string& source) {
  auto h = ImportJepsenEdn(text, source, ModelKind::kKv);
  if (!h.ok()) return h;
  for (const Op& op : h->ops) {
    if (op.f != Fn::kGet && op.f != Fn::kPut && op.f != Fn::kAppend) {
      return Status::InvalidArgument(
          fmt::format("{}: op {} is :{}, porcupine kv has only get, put "
                      "and append",
                      source, op.index, FnName(op.f)));
    }
  }
  h->model = "kv";
  h->initial_value = "";
  return h;
}

}  // namespace faultline::checkers
