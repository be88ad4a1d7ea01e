#include "json_convert.h"

namespace nb = nanobind;

namespace fst::python {
namespace {

template <typename Json>
PyObject* Convert(const Json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: Py_RETURN_NONE;
    case nlohmann::json::value_t::boolean:
      if (value.template get<bool>()) Py_RETURN_TRUE;
      Py_RETURN_FALSE;
    case nlohmann::json::value_t::number_integer:
      return PyLong_FromLongLong(value.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return PyLong_FromUnsignedLongLong(value.template get<uint64_t>());
    case nlohmann::json::value_t::number_float:
      return PyFloat_FromDouble(value.template get<double>());
    case nlohmann::json::value_t::string: {
      const auto& s = value.template get_ref<const std::string&>();
      return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
    }
    case nlohmann::json::value_t::array: {
      PyObject* list = PyList_New(static_cast<Py_ssize_t>(value.size()));
      if (list == nullptr) return nullptr;
      Py_ssize_t i = 0;
      for (const auto& item : value) {
        PyObject* converted = Convert(item);
        if (converted == nullptr) {
          Py_DECREF(list);
          return nullptr;
        }
        PyList_SET_ITEM(list, i++, converted);
      }
      return list;
    }
    case nlohmann::json::value_t::object: {
      PyObject* dict = PyDict_New();
      if (dict == nullptr) return nullptr;
      for (auto it = value.begin(); it != value.end(); ++it) {
        PyObject* converted = Convert(it.value());
        if (converted == nullptr) {
          Py_DECREF(dict);
          return nullptr;
        }
        const std::string& key = it.key();
        PyObject* py_key =
            PyUnicode_DecodeUTF8(key.data(), static_cast<Py_ssize_t>(key.size()), "replace");
        const int rc = py_key == nullptr ? -1 : PyDict_SetItem(dict, py_key, converted);
        Py_XDECREF(py_key);
        Py_DECREF(converted);
        if (rc != 0) {
          Py_DECREF(dict);
          return nullptr;
        }
      }
      return dict;
    }
    default:  // binary, discarded: not produced by the engine
      Py_RETURN_NONE;
  }
}

PyObject* Str(const std::string& s) {
  return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
}

template <typename Item, typename Make>
PyObject* List(const std::vector<Item>& items, Make make) {
  PyObject* list = PyList_New(static_cast<Py_ssize_t>(items.size()));
  if (list == nullptr) return nullptr;
  for (size_t i = 0; i < items.size(); ++i) {
    PyObject* item = make(items[i]);
    if (item == nullptr) {
      Py_DECREF(list);
      return nullptr;
    }
    PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), item);
  }
  return list;
}

// A float32 list item becomes the float64 its JSON holds.
PyObject* Float(float v) { return PyFloat_FromDouble(v); }

PyObject* Convert(const retrieval::OnlineValue& value) {
  switch (value.index()) {
    case 0: Py_RETURN_NONE;
    case 1:
      if (std::get<bool>(value)) Py_RETURN_TRUE;
      Py_RETURN_FALSE;
    case 2: return PyLong_FromLongLong(std::get<int64_t>(value));
    case 3: return PyFloat_FromDouble(std::get<double>(value));
    case 4: return Str(std::get<std::string>(value));
    case 5: return List(std::get<std::vector<float>>(value), Float);
    default: return List(std::get<std::vector<std::string>>(value), Str);
  }
}

PyObject* Convert(const retrieval::OnlineRows& rows) {
  std::vector<nb::object> keys;
  for (const auto& column : rows.columns) {
    PyObject* key = Str(column);
    if (key == nullptr) return nullptr;
    keys.push_back(nb::steal(key));
  }
  return List(rows.rows, [&](const std::vector<retrieval::OnlineValue>& row) -> PyObject* {
    PyObject* dict = PyDict_New();
    if (dict == nullptr) return nullptr;
    for (size_t c = 0; c < keys.size(); ++c) {
      PyObject* converted = Convert(row[c]);
      const int rc = converted == nullptr ? -1 : PyDict_SetItem(dict, keys[c].ptr(), converted);
      Py_XDECREF(converted);
      if (rc != 0) {
        Py_DECREF(dict);
        return nullptr;
      }
    }
    return dict;
  });
}

template <typename Json>
nb::object ToPythonImpl(const Json& value) {
  PyObject* result = Convert(value);
  if (result == nullptr) throw nb::python_error();
  return nb::steal(result);
}

}  // namespace

nb::object ToPython(const nlohmann::ordered_json& value) { return ToPythonImpl(value); }
nb::object ToPython(const nlohmann::json& value) { return ToPythonImpl(value); }
nb::object ToPython(const retrieval::OnlineRows& rows) { return ToPythonImpl(rows); }

}  // namespace fst::python
