// SPDX-License-Identifier: Apache-2.0
// PIDF documents (RFC 3863) with the RFC 4479 data model (person, device, tuple
// as service) and the RPID elements we understand (RFC 4480 activities and
// user-input). This is the document level only: parsePidf() turns
// application/pidf+xml into a PidfDocument and writePidf() turns one back into
// text; pidf_mapping.h translates to and from the canonical model. Every element
// we do not model is kept as a self-contained raw fragment in the `extensions`
// of the element that contained it, so it can be passed through.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core-server/presence/xml_limits.h"
#include "proxy/base/result.h"

namespace core::presence {

struct PidfNote {
  std::string text;
  std::string lang;  // xml:lang, "" if absent

  bool operator==(const PidfNote&) const = default;
};

// RFC 4480 §3.2 <activities>. Each activity element contributes its local name
// ("busy", "on-the-phone", "unknown", or a token from another namespace such as a
// non-standard "dnd"); <other> carries free text instead.
struct RpidActivities {
  std::vector<std::string> tokens;
  std::string other;            // text of <rpid:other>, "" if absent
  std::vector<PidfNote> notes;  // <rpid:note> inside <activities>
  std::string from, until;      // validity attributes, raw

  bool operator==(const RpidActivities&) const = default;
};

// RFC 4480 §3.7 <user-input>active|idle</user-input>.
struct RpidUserInput {
  bool idle = false;
  std::string last_input;      // RFC 3339, raw; "" if absent
  std::string idle_threshold;  // seconds, raw; "" if absent

  bool operator==(const RpidUserInput&) const = default;
};

// Our own extension (namespaces.h kConfabOcs): the exact OCS state behind a PIDF
// we rendered, so our own documents map back without loss.
struct ConfabOcsState {
  uint32_t availability = 0;
  std::string token;
  std::string note_type;  // "personal" or "OOF" when the document has a note

  bool operator==(const ConfabOcsState&) const = default;
};

struct PidfTuple {
  std::string id;
  std::optional<bool> basic_open;  // <status><basic>; nullopt if absent
  std::string contact;
  std::string contact_priority;  // raw, e.g. "0.8"
  std::string device_id;         // RFC 4479 <dm:deviceID> linking to a <dm:device>
  std::vector<PidfNote> notes;
  std::string timestamp;
  // RPID elements some clients put in the tuple or its <status> (pre-4479 style).
  std::optional<RpidActivities> activities;
  std::optional<RpidUserInput> user_input;
  std::vector<std::string> status_extensions;  // unknown children of <status>
  std::vector<std::string> extensions;         // unknown children of <tuple>

  bool operator==(const PidfTuple&) const = default;
};

struct PidfPerson {
  std::string id;
  std::optional<RpidActivities> activities;
  std::optional<RpidUserInput> user_input;
  std::optional<ConfabOcsState> ocs;
  std::vector<PidfNote> notes;  // <dm:note>, and <rpid:note> written directly in person
  std::string timestamp;
  std::vector<std::string> extensions;

  bool operator==(const PidfPerson&) const = default;
};

struct PidfDevice {
  std::string id;
  std::string device_id;
  std::optional<RpidUserInput> user_input;
  std::vector<PidfNote> notes;
  std::string timestamp;
  std::vector<std::string> extensions;

  bool operator==(const PidfDevice&) const = default;
};

struct PidfDocument {
  std::string entity;
  std::vector<PidfTuple> tuples;
  std::vector<PidfPerson> persons;
  std::vector<PidfDevice> devices;
  std::vector<PidfNote> notes;          // presence-level <note>
  std::vector<std::string> extensions;  // unknown children of <presence>

  bool operator==(const PidfDocument&) const = default;
};

// Errors are 400s: malformed or hostile XML (see xml_tree.h), a root that is not
// {urn:ietf:params:xml:ns:pidf}presence, a missing entity (RFC 3863 §4.1.1), a
// <basic> other than open/closed (§4.1.4).
proxy::Result<PidfDocument> parsePidf(std::string_view xml, const XmlLimits& limits);

// Serializes with the pidf namespace as default and the dm:/rpid: prefixes
// (plus the Confab extension prefix when used), following the element order of
// the RFC 3863 and RFC 4479 schemas.
std::string writePidf(const PidfDocument& doc);

}  // namespace core::presence
