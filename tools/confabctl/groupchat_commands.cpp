// SPDX-License-Identifier: Apache-2.0
#include "tools/confabctl/groupchat_commands.h"

#include <charconv>
#include <chrono>
#include <iostream>
#include <optional>

#include "core-server/groupchat/service/groupchat_store.h"
#include "core-server/groupchat/stages/groupchat_shard.h"
#include "proxy/config/config.h"

namespace confabctl {

const char* const kGroupChatUsage =
    "       confabctl [--config PATH] category add NAME [DESCRIPTION]\n"
    "       confabctl [--config PATH] category list\n"
    "       confabctl [--config PATH] room add NAME [open|closed|secret]\n"
    "       confabctl [--config PATH] room set NAME FIELD VALUE\n"
    "                 (FIELD: kind, category, description, topic, keywords, auditorium,\n"
    "                  retention_days)\n"
    "       confabctl [--config PATH] room del NAME\n"
    "       confabctl [--config PATH] room list\n"
    "       confabctl [--config PATH] room grant NAME AOR [member|manager|presenter]\n"
    "       confabctl [--config PATH] room revoke NAME AOR [member|manager|presenter]\n"
    "       confabctl [--config PATH] room invite NAME AOR INVITER\n";

namespace {

using core::groupchat::Catalogue;
using core::groupchat::Category;
using core::groupchat::GroupChatStore;
using core::groupchat::Room;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

int fail(const std::string& message, int status = kFailed) {
  std::cerr << "confabctl: " << message << "\n";
  return status;
}

Room* findRoom(Catalogue& catalogue, const std::string& name) {
  for (Room& room : catalogue.rooms) {
    if (room.name == name) {
      return &room;
    }
  }
  return nullptr;
}

std::set<std::string>* roleList(Room& room, const std::string& role) {
  if (role == "member") {
    return &room.members;
  }
  if (role == "manager") {
    return &room.managers;
  }
  if (role == "presenter") {
    return &room.presenters;
  }
  return nullptr;
}

std::string joined(const std::set<std::string>& users) {
  std::string out;
  for (const std::string& user : users) {
    out.append(out.empty() ? "" : ",").append(user);
  }
  return out;
}

int setField(Catalogue& catalogue, Room& room, const std::string& field, const std::string& value) {
  if (field == "kind") {
    auto kind = core::groupchat::parseRoomKind(value);
    if (!kind) {
      return fail("kind must be open, closed or secret", kUsage);
    }
    room.kind = *kind;
  } else if (field == "category") {
    room.category.clear();
    for (const Category& category : catalogue.categories) {
      if (category.name == value) {
        room.category = category.uuid;
      }
    }
    if (room.category.empty() && !value.empty()) {
      return fail("no such category: " + value, kUsage);
    }
  } else if (field == "description") {
    room.description = value;
  } else if (field == "topic") {
    room.topic = value;
  } else if (field == "keywords") {
    room.keywords = value;
  } else if (field == "auditorium") {
    if (value != "true" && value != "false") {
      return fail("auditorium must be true or false", kUsage);
    }
    room.auditorium = value == "true";
  } else if (field == "retention_days") {
    uint32_t days = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), days);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return fail("retention_days must be a number of days", kUsage);
    }
    room.retention_days = days;
  } else {
    return fail("unknown room field " + field, kUsage);
  }
  return kOk;
}

}  // namespace

bool isGroupChatCommand(const std::string& command) {
  return command == "room" || command == "category";
}

int runGroupChatCommand(const std::string& config_path, const std::vector<std::string>& args) {
  const std::string verb = args.size() > 1 ? args[1] : "";
  auto arg = [&](size_t i) { return i < args.size() ? args[i] : std::string(); };
  auto config = proxy::config::loadConfig(config_path);
  if (!config) {
    std::cerr << config.error().detail << "\n";
    return kUsage;
  }
  GroupChatStore::Options options;
  options.path = core::groupchat::groupChatDatabasePath(*config);
  auto store = GroupChatStore::open(options);
  if (!store) {
    return fail("cannot open " + options.path + ": " + store.error().detail);
  }
  auto reader = (*store)->reader();
  auto catalogue = reader ? (*reader)->catalogue() : proxy::Result<Catalogue>(reader.error());
  if (!catalogue) {
    return fail("cannot read " + options.path + ": " + catalogue.error().detail);
  }
  GroupChatStore& db = **store;
  if (args[0] == "category") {
    if (verb == "list" && args.size() == 2) {
      for (const Category& category : catalogue->categories) {
        std::cout << category.name << "\t" << category.uuid << "\t" << category.description << "\n";
      }
      return kOk;
    }
    if (verb == "add" && (args.size() == 3 || args.size() == 4)) {
      Category category{core::groupchat::newUuid(), arg(2), arg(3)};
      for (const Category& existing : catalogue->categories) {
        if (existing.name == category.name) {
          category.uuid = existing.uuid;
        }
      }
      if (!db.upsertCategory(category)) {
        return fail("cannot store the category");
      }
      std::cout << "category " << category.name << " " << category.uuid << "\n";
      return kOk;
    }
    return fail("category: expected add NAME [DESCRIPTION] or list", kUsage);
  }
  if (verb == "list" && args.size() == 2) {
    for (const Room& room : catalogue->rooms) {
      std::cout << room.name << "\t" << core::groupchat::roomKindName(room.kind) << "\t"
                << room.uuid << "\tmembers=" << joined(room.members)
                << "\tmanagers=" << joined(room.managers)
                << "\tpresenters=" << joined(room.presenters)
                << (room.auditorium ? "\tauditorium" : "") << "\n";
    }
    return kOk;
  }
  if (verb == "add" && (args.size() == 3 || args.size() == 4)) {
    if (findRoom(*catalogue, arg(2)) != nullptr) {
      return fail("room " + arg(2) + " exists");
    }
    Room room;
    room.uuid = core::groupchat::newUuid();
    room.name = arg(2);
    if (args.size() == 4) {
      if (int status = setField(*catalogue, room, "kind", arg(3)); status != kOk) {
        return status;
      }
    }
    if (!db.upsertRoom(room)) {
      return fail("cannot store the room");
    }
    std::cout << "room " << room.name << " " << room.uuid << "\n";
    return kOk;
  }
  Room* room = findRoom(*catalogue, arg(2));
  if (verb == "del" && args.size() == 3) {
    if (room == nullptr) {
      return fail("no such room: " + arg(2));
    }
    if (!db.deleteRoom(room->uuid)) {
      return fail("cannot delete the room");
    }
    std::cout << "deleted " << arg(2) << "\n";
    return kOk;
  }
  if (verb == "set" && args.size() == 5) {
    if (room == nullptr) {
      return fail("no such room: " + arg(2));
    }
    if (int status = setField(*catalogue, *room, arg(3), arg(4)); status != kOk) {
      return status;
    }
    return db.upsertRoom(*room) ? kOk : fail("cannot store the room");
  }
  if ((verb == "grant" || verb == "revoke") && (args.size() == 4 || args.size() == 5)) {
    if (room == nullptr) {
      return fail("no such room: " + arg(2));
    }
    auto aor = proxy::config::checkAorSyntax(arg(3));
    std::set<std::string>* list = roleList(*room, args.size() == 5 ? arg(4) : "member");
    if (!aor || list == nullptr) {
      return fail("room " + verb + ": expected AOR and member, manager or presenter", kUsage);
    }
    if (verb == "grant") {
      list->insert(*aor);
    } else {
      list->erase(*aor);
    }
    return db.upsertRoom(*room) ? kOk : fail("cannot store the room");
  }
  if (verb == "invite" && args.size() == 5) {
    if (room == nullptr) {
      return fail("no such room: " + arg(2));
    }
    auto user = proxy::config::checkAorSyntax(arg(3));
    auto inviter = proxy::config::checkAorSyntax(arg(4));
    if (!user || !inviter) {
      return fail("room invite: expected two AORs", kUsage);
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto id = db.addInvitation({0, room->uuid, *user, *inviter, now});
    if (!id) {
      return fail("cannot store the invitation");
    }
    std::cout << "invitation " << *id << "\n";
    return kOk;
  }
  return fail("room: unknown or incomplete command (see --help)", kUsage);
}

}  // namespace confabctl
