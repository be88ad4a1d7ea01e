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

template <typename Json>
nb::object ToPythonImpl(const Json& value) {
  PyObject* result = Convert(value);
  if (result == nullptr) throw nb::python_error();
  return nb::steal(result);
}

}  // namespace

nb::object ToPython(const nlohmann::ordered_json& value) { return ToPythonImpl(value); }
nb::object ToPython(const nlohmann::json& value) { return ToPythonImpl(value); }

}  // namespace fst::python
