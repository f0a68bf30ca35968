// SPDX-License-Identifier: Apache-2.0
#include "core-server/presence/pidf.h"

#include "core-server/presence/namespaces.h"
#include "core-server/presence/xml_fragment.h"
#include "core-server/presence/xml_tree.h"
#include "core-server/presence/xml_writer.h"
#include "proxy/base/strings.h"

namespace core::presence {
namespace {

using proxy::makeError;
using proxy::trim;

std::string trimmedText(const XmlElement& e) { return std::string(trim(e.text())); }

PidfNote parseNote(const XmlElement& e) {
  return PidfNote{trimmedText(e), std::string(e.attribute("lang", kXmlNamespace).value_or(""))};
}

std::string attr(const XmlElement& e, std::string_view name) {
  return std::string(e.attribute(name).value_or(""));
}

// RFC 4480 §3.2: notes first, then activity elements or <other>.
RpidActivities parseActivities(const XmlElement& e) {
  RpidActivities out;
  out.from = attr(e, "from");
  out.until = attr(e, "until");
  for (XmlElement child : e.children()) {
    if (child.is(ns::kRpid, "note")) {
      out.notes.push_back(parseNote(child));
    } else if (child.is(ns::kRpid, "other")) {
      out.other = trimmedText(child);
    } else {
      out.tokens.emplace_back(child.local());  // unknown tokens are kept by name
    }
  }
  return out;
}

RpidUserInput parseUserInput(const XmlElement& e) {
  RpidUserInput out;
  out.idle = trimmedText(e) == "idle";
  out.last_input = attr(e, "last-input");
  out.idle_threshold = attr(e, "idle-threshold");
  return out;
}

std::optional<ConfabOcsState> parseOcs(const XmlElement& e) {
  const auto availability =
      proxy::parseUnsigned<uint32_t>(e.attribute("availability").value_or(""));
  if (!availability) {
    return std::nullopt;  // a broken hint is ignored, the RPID part still counts
  }
  return ConfabOcsState{*availability, attr(e, "token"), attr(e, "note-type")};
}

proxy::Result<void> parseStatus(const XmlElement& status, PidfTuple& tuple) {
  for (XmlElement child : status.children()) {
    if (child.is(ns::kPidf, "basic")) {
      const std::string basic = trimmedText(child);
      if (basic != "open" && basic != "closed") {  // RFC 3863 §4.1.4
        return makeError(400, "PIDF: tuple '" + tuple.id + "': <basic> must be open or closed");
      }
      tuple.basic_open = basic == "open";
    } else if (child.is(ns::kRpid, "activities")) {
      tuple.activities = parseActivities(child);
    } else if (child.is(ns::kRpid, "user-input")) {
      tuple.user_input = parseUserInput(child);
    } else {
      tuple.status_extensions.push_back(serializeFragment(child));
    }
  }
  return {};
}

proxy::Result<PidfTuple> parseTuple(const XmlElement& e) {
  PidfTuple tuple;
  tuple.id = attr(e, "id");
  for (XmlElement child : e.children()) {
    if (child.is(ns::kPidf, "status")) {
      if (auto r = parseStatus(child, tuple); !r) {
        return r.error();
      }
    } else if (child.is(ns::kPidf, "contact")) {
      tuple.contact = trimmedText(child);
      tuple.contact_priority = attr(child, "priority");
    } else if (child.is(ns::kPidf, "note")) {
      tuple.notes.push_back(parseNote(child));
    } else if (child.is(ns::kPidf, "timestamp")) {
      tuple.timestamp = trimmedText(child);
    } else if (child.is(ns::kDataModel, "deviceID")) {
      tuple.device_id = trimmedText(child);
    } else if (child.is(ns::kRpid, "activities")) {
      tuple.activities = parseActivities(child);
    } else if (child.is(ns::kRpid, "user-input")) {
      tuple.user_input = parseUserInput(child);
    } else {
      tuple.extensions.push_back(serializeFragment(child));
    }
  }
  return tuple;
}

PidfPerson parsePerson(const XmlElement& e) {
  PidfPerson person;
  person.id = attr(e, "id");
  for (XmlElement child : e.children()) {
    if (child.is(ns::kRpid, "activities")) {
      person.activities = parseActivities(child);
    } else if (child.is(ns::kRpid, "user-input")) {
      person.user_input = parseUserInput(child);
    } else if (child.is(ns::kConfabOcs, "state")) {
      person.ocs = parseOcs(child);
    } else if (child.is(ns::kDataModel, "note") || child.is(ns::kRpid, "note") ||
               child.is(ns::kPidf, "note")) {
      person.notes.push_back(parseNote(child));
    } else if (child.is(ns::kDataModel, "timestamp")) {
      person.timestamp = trimmedText(child);
    } else {
      person.extensions.push_back(serializeFragment(child));
    }
  }
  return person;
}

PidfDevice parseDevice(const XmlElement& e) {
  PidfDevice device;
  device.id = attr(e, "id");
  for (XmlElement child : e.children()) {
    if (child.is(ns::kDataModel, "deviceID")) {
      device.device_id = trimmedText(child);
    } else if (child.is(ns::kRpid, "user-input")) {
      device.user_input = parseUserInput(child);
    } else if (child.is(ns::kDataModel, "note")) {
      device.notes.push_back(parseNote(child));
    } else if (child.is(ns::kDataModel, "timestamp")) {
      device.timestamp = trimmedText(child);
    } else {
      device.extensions.push_back(serializeFragment(child));
    }
  }
  return device;
}

// ---- writing ----------------------------------------------------------------

// A conservative NCName check (ASCII letters, digits, '-', '_', '.'; no leading
// digit, '-' or '.'): every RPID token passes, hostile strings do not.
bool isNcName(std::string_view s) {
  if (s.empty() || s.size() > 64) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool other = (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!alpha && (i == 0 || !other)) {
      return false;
    }
  }
  return true;
}

void writeNotes(XmlWriter& w, std::string_view qname, const std::vector<PidfNote>& notes) {
  for (const PidfNote& n : notes) {
    w.open(qname);
    if (!n.lang.empty()) {
      w.attribute("xml:lang", n.lang);
    }
    w.text(n.text);
    w.close();
  }
}

void writeRaw(XmlWriter& w, const std::vector<std::string>& fragments) {
  for (const std::string& f : fragments) {
    w.raw(f);
  }
}

void writeActivities(XmlWriter& w, const RpidActivities& a) {
  w.open("rpid:activities");
  if (!a.from.empty()) {
    w.attribute("from", a.from);
  }
  if (!a.until.empty()) {
    w.attribute("until", a.until);
  }
  writeNotes(w, "rpid:note", a.notes);
  for (const std::string& token : a.tokens) {
    if (isNcName(token)) {  // tokens become element names; anything else would break the XML
      w.open("rpid:" + token);
      w.close();
    }
  }
  if (!a.other.empty()) {
    w.leaf("rpid:other", a.other);
  }
  w.close();
}

void writeUserInput(XmlWriter& w, const RpidUserInput& u) {
  w.open("rpid:user-input");
  if (!u.idle_threshold.empty()) {
    w.attribute("idle-threshold", u.idle_threshold);
  }
  if (!u.last_input.empty()) {
    w.attribute("last-input", u.last_input);
  }
  w.text(u.idle ? "idle" : "active");
  w.close();
}

// RFC 3863 §4.1.2 order: status, extensions, contact, note, timestamp.
void writeTuple(XmlWriter& w, const PidfTuple& t) {
  w.open("tuple");
  w.attribute("id", t.id);
  w.open("status");
  if (t.basic_open) {
    w.leaf("basic", *t.basic_open ? "open" : "closed");
  }
  writeRaw(w, t.status_extensions);
  w.close();
  if (!t.device_id.empty()) {
    w.leaf("dm:deviceID", t.device_id);
  }
  if (t.activities) {
    writeActivities(w, *t.activities);
  }
  if (t.user_input) {
    writeUserInput(w, *t.user_input);
  }
  writeRaw(w, t.extensions);
  if (!t.contact.empty()) {
    w.open("contact");
    if (!t.contact_priority.empty()) {
      w.attribute("priority", t.contact_priority);
    }
    w.text(t.contact);
    w.close();
  }
  writeNotes(w, "note", t.notes);
  if (!t.timestamp.empty()) {
    w.leaf("timestamp", t.timestamp);
  }
  w.close();
}

// RFC 4479 person: extensions, note, timestamp.
void writePerson(XmlWriter& w, const PidfPerson& p) {
  w.open("dm:person");
  w.attribute("id", p.id);
  if (p.activities) {
    writeActivities(w, *p.activities);
  }
  if (p.user_input) {
    writeUserInput(w, *p.user_input);
  }
  if (p.ocs) {
    w.open("ocs:state");
    w.attribute("availability", std::to_string(p.ocs->availability));
    if (!p.ocs->token.empty()) {
      w.attribute("token", p.ocs->token);
    }
    if (!p.ocs->note_type.empty()) {
      w.attribute("note-type", p.ocs->note_type);
    }
    w.close();
  }
  writeRaw(w, p.extensions);
  writeNotes(w, "dm:note", p.notes);
  if (!p.timestamp.empty()) {
    w.leaf("dm:timestamp", p.timestamp);
  }
  w.close();
}

// RFC 4479 device: extensions, deviceID, note, timestamp.
void writeDevice(XmlWriter& w, const PidfDevice& d) {
  w.open("dm:device");
  w.attribute("id", d.id);
  if (d.user_input) {
    writeUserInput(w, *d.user_input);
  }
  writeRaw(w, d.extensions);
  w.leaf("dm:deviceID", d.device_id);
  writeNotes(w, "dm:note", d.notes);
  if (!d.timestamp.empty()) {
    w.leaf("dm:timestamp", d.timestamp);
  }
  w.close();
}

}  // namespace

proxy::Result<PidfDocument> parsePidf(std::string_view xml, const XmlLimits& limits) {
  auto parsed = XmlDocument::parse(xml, limits);
  if (!parsed) {
    return parsed.error();
  }
  const XmlElement root = parsed->root();
  if (!root.is(ns::kPidf, "presence")) {
    return makeError(400, "PIDF: root element must be {" + std::string(ns::kPidf) +
                              "}presence, got " + root.expandedName());
  }
  PidfDocument doc;
  doc.entity = attr(root, "entity");
  if (doc.entity.empty()) {  // RFC 3863 §4.1.1: entity is mandatory
    return makeError(400, "PIDF: <presence> has no entity attribute");
  }
  for (XmlElement child : root.children()) {
    if (child.is(ns::kPidf, "tuple")) {
      auto tuple = parseTuple(child);
      if (!tuple) {
        return tuple.error();
      }
      doc.tuples.push_back(std::move(*tuple));
    } else if (child.is(ns::kPidf, "note")) {
      doc.notes.push_back(parseNote(child));
    } else if (child.is(ns::kDataModel, "person")) {
      doc.persons.push_back(parsePerson(child));
    } else if (child.is(ns::kDataModel, "device")) {
      doc.devices.push_back(parseDevice(child));
    } else {
      doc.extensions.push_back(serializeFragment(child));
    }
  }
  return doc;
}

std::string writePidf(const PidfDocument& doc) {
  std::string out;
  out.reserve(1024);
  XmlWriter w(out);
  w.declaration();
  w.open("presence");
  w.attribute("xmlns", ns::kPidf);
  w.attribute("xmlns:dm", ns::kDataModel);
  w.attribute("xmlns:rpid", ns::kRpid);
  for (const PidfPerson& p : doc.persons) {
    if (p.ocs) {
      w.attribute("xmlns:ocs", ns::kConfabOcs);
      break;
    }
  }
  w.attribute("entity", doc.entity);
  for (const PidfTuple& t : doc.tuples) {
    writeTuple(w, t);
  }
  writeNotes(w, "note", doc.notes);
  for (const PidfPerson& p : doc.persons) {
    writePerson(w, p);
  }
  for (const PidfDevice& d : doc.devices) {
    writeDevice(w, d);
  }
  writeRaw(w, doc.extensions);
  w.close();
  return out;
}

}  // namespace core::presence
