#include "protocol/socks5_client.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tlsgate {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int value : values) {
    out += static_cast<char>(value);
  }
  return out;
}

void put(ByteQueue& queue, std::string_view text) {
  queue.append(std::as_bytes(std::span(text.data(), text.size())));
}

std::string drain(ByteQueue& queue) {
  std::string out(queue.size(), '\0');
  queue.read(std::as_writable_bytes(std::span(out.data(), out.size())));
  return out;
}

// One client with its two queues, as a connection phase would hold them.
struct Dialogue {
  explicit Dialogue(std::string_view host = "backend.example", uint16_t port = 443,
                    std::string username = {}, std::string password = {})
      : client(host, port, std::move(username), std::move(password)) {
    client.begin(to_proxy);
  }

  StepResult reply(std::string_view bytes_from_proxy) {
    put(from_proxy, bytes_from_proxy);
    return client.advance(from_proxy, to_proxy);
  }

  BufferPool pool{8};  // small chunks, so replies span several
  ByteQueue to_proxy{pool};
  ByteQueue from_proxy{pool};
  Socks5Client client;
};

const std::string kNoAuth = bytes({0x05, 0x00});
const std::string kUserPass = bytes({0x05, 0x02});
const std::string kAuthOk = bytes({0x01, 0x00});
// microsocks answers every CONNECT with 0.0.0.0:0 as the bound address.
const std::string kConnectOk = bytes({0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0});
const std::string kNameRequest =
    bytes({0x05, 0x01, 0x00, 0x03, 15}) + "backend.example" + bytes({0x01, 0xbb});

std::string refusal(int code) {
  return bytes({0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0});
}

TEST(Socks5ClientTest, OffersOnlyNoAuthenticationWithoutAUsername) {
  Dialogue dialogue;
  EXPECT_EQ(drain(dialogue.to_proxy), bytes({0x05, 0x01, 0x00}));
}

TEST(Socks5ClientTest, OffersUsernamePasswordWithAUsername) {
  Dialogue dialogue("backend.example", 443, "user", "secret");
  EXPECT_EQ(drain(dialogue.to_proxy), bytes({0x05, 0x02, 0x00, 0x02}));
}

TEST(Socks5ClientTest, SendsANameForTheProxyToResolve) {
  Dialogue dialogue;
  drain(dialogue.to_proxy);
  EXPECT_EQ(dialogue.reply(kNoAuth).status, StepStatus::need_input);
  EXPECT_EQ(drain(dialogue.to_proxy), kNameRequest);
}

TEST(Socks5ClientTest, SendsAddressLiteralsAsAddresses) {
  const auto request = [](std::string_view host, uint16_t port) {
    Dialogue dialogue(host, port);
    drain(dialogue.to_proxy);
    dialogue.reply(kNoAuth);
    return drain(dialogue.to_proxy);
  };
  EXPECT_EQ(request("192.0.2.1", 8443), bytes({0x05, 0x01, 0x00, 0x01, 192, 0, 2, 1, 0x20, 0xfb}));
  const std::string v6 = bytes({0x05, 0x01, 0x00, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,
                                0,    0,    0,    0,    0,    0,    0,    0,    0x01, 0x00, 0x50});
  EXPECT_EQ(request("2001:db8::1", 80), v6);
  EXPECT_EQ(request("[2001:db8::1]", 80), v6);
  // Not a literal (four parts are needed), so the proxy gets it as a name.
  EXPECT_EQ(request("10.1", 1), bytes({0x05, 0x01, 0x00, 0x03, 4}) + "10.1" + bytes({0, 1}));
}

TEST(Socks5ClientTest, ConnectsWithoutAuthentication) {
  Dialogue dialogue;
  drain(dialogue.to_proxy);
  dialogue.reply(kNoAuth);
  drain(dialogue.to_proxy);
  EXPECT_TRUE(dialogue.reply(kConnectOk).isDone());
  EXPECT_TRUE(dialogue.from_proxy.empty());
  EXPECT_TRUE(dialogue.to_proxy.empty());
}

TEST(Socks5ClientTest, AuthenticatesThenConnects) {
  Dialogue dialogue("backend.example", 443, "user", "secret");
  drain(dialogue.to_proxy);
  EXPECT_EQ(dialogue.reply(kUserPass).status, StepStatus::need_input);
  EXPECT_EQ(drain(dialogue.to_proxy), bytes({0x01, 4}) + "user" + bytes({6}) + "secret");
  EXPECT_EQ(dialogue.reply(kAuthOk).status, StepStatus::need_input);
  EXPECT_EQ(drain(dialogue.to_proxy), kNameRequest);
  EXPECT_TRUE(dialogue.reply(kConnectOk).isDone());
}

TEST(Socks5ClientTest, ConnectsWithoutAuthenticationWhenTheProxyChoosesSo) {
  Dialogue dialogue("backend.example", 443, "user", "secret");
  drain(dialogue.to_proxy);
  dialogue.reply(kNoAuth);
  EXPECT_EQ(drain(dialogue.to_proxy), kNameRequest);
  EXPECT_TRUE(dialogue.reply(kConnectOk).isDone());
}

TEST(Socks5ClientTest, AcceptsAnAuthReplyThatEchoesVersionFive) {
  Dialogue dialogue("backend.example", 443, "user", "secret");
  dialogue.reply(kUserPass);
  EXPECT_EQ(dialogue.reply(bytes({0x05, 0x00})).status, StepStatus::need_input);
  EXPECT_TRUE(dialogue.reply(kConnectOk).isDone());
}

TEST(Socks5ClientTest, SendsAnEmptyPassword) {
  Dialogue dialogue("backend.example", 443, "user", "");
  drain(dialogue.to_proxy);
  dialogue.reply(kUserPass);
  EXPECT_EQ(drain(dialogue.to_proxy), bytes({0x01, 4}) + "user" + bytes({0}));
}

TEST(Socks5ClientTest, TakesEveryReplyByteByByte) {
  // Dante names the bound address; the name's length comes in its own byte.
  const std::string bound_name =
      bytes({0x05, 0x00, 0x00, 0x03, 11}) + "example.net" + bytes({0xc3, 0x50});
  const std::string tail = bytes({0x16, 0x03, 0x03});
  Dialogue dialogue("backend.example", 443, "user", "secret");
  drain(dialogue.to_proxy);
  const std::string replies = kUserPass + kAuthOk + bound_name + tail;
  const std::size_t end = replies.size() - tail.size();
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const StepResult result = dialogue.reply(replies.substr(i, 1));
    if (i + 1 < end) {
      ASSERT_EQ(result.status, StepStatus::need_input) << "at byte " << i;
    } else {
      ASSERT_TRUE(result.isDone()) << "at byte " << i;
    }
    if (i == 1) {
      EXPECT_EQ(drain(dialogue.to_proxy), bytes({0x01, 4}) + "user" + bytes({6}) + "secret");
    }
    if (i == 3) {
      EXPECT_EQ(drain(dialogue.to_proxy), kNameRequest);
    }
    EXPECT_TRUE(dialogue.to_proxy.empty()) << "at byte " << i;
  }
  EXPECT_EQ(drain(dialogue.from_proxy), tail);
}

TEST(Socks5ClientTest, TakesRepliesThatArriveTogether) {
  Dialogue dialogue("backend.example", 443, "user", "secret");
  drain(dialogue.to_proxy);
  const std::string v6_bound =
      bytes({0x05, 0x00, 0x00, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0,    0,    0,
             0,    0,    0,    0,    0,    0,    0,    0,    0x02, 0x04, 0x38});
  EXPECT_TRUE(dialogue.reply(kUserPass + kAuthOk + v6_bound + "rest").isDone());
  EXPECT_EQ(drain(dialogue.to_proxy),
            bytes({0x01, 4}) + "user" + bytes({6}) + "secret" + kNameRequest);
  EXPECT_EQ(drain(dialogue.from_proxy), "rest");
}

TEST(Socks5ClientTest, KeepsAnUnfinishedReplyInTheQueue) {
  Dialogue dialogue;
  dialogue.reply(kNoAuth);
  EXPECT_EQ(dialogue.reply(kConnectOk.substr(0, 7)).status, StepStatus::need_input);
  EXPECT_EQ(dialogue.from_proxy.size(), 7U);
  EXPECT_TRUE(dialogue.reply(kConnectOk.substr(7)).isDone());
  EXPECT_TRUE(dialogue.from_proxy.empty());
}

TEST(Socks5ClientTest, SaysEachReplyCodeInWords) {
  const std::pair<int, std::string_view> cases[] = {
      {1, "general SOCKS server failure"}, {2, "connection not allowed by ruleset"},
      {3, "network unreachable"},          {4, "host unreachable"},
      {5, "connection refused"},           {6, "TTL expired"},
      {7, "command not supported"},        {8, "address type not supported"},
      {9, "an unassigned reply code"},     {255, "an unassigned reply code"},
  };
  for (const auto& [code, words] : cases) {
    Dialogue dialogue;
    dialogue.reply(kNoAuth);
    const StepResult result = dialogue.reply(refusal(code));
    ASSERT_TRUE(result.isFailed());
    EXPECT_EQ(result.reason, "the SOCKS5 proxy answered: " + std::string(words) + " (" +
                                 std::to_string(code) + ")");
  }
}

TEST(Socks5ClientTest, FailsOnARefusalBeforeItsAddressArrives) {
  Dialogue dialogue;
  dialogue.reply(kNoAuth);
  const StepResult result = dialogue.reply(bytes({0x05, 0x05}));
  ASSERT_TRUE(result.isFailed());
  EXPECT_EQ(result.reason, "the SOCKS5 proxy answered: connection refused (5)");
}

TEST(Socks5ClientTest, FailsWhenNoMethodIsAcceptable) {
  Dialogue anonymous;
  EXPECT_EQ(anonymous.reply(bytes({0x05, 0xff})).reason,
            "the SOCKS5 proxy has no acceptable authentication method: it does not accept "
            "connections without one (put a username and password in auth_file)");
  Dialogue with_user("backend.example", 443, "user", "secret");
  EXPECT_EQ(with_user.reply(bytes({0x05, 0xff})).reason,
            "the SOCKS5 proxy has no acceptable authentication method: it takes neither none "
            "nor username/password");
}

TEST(Socks5ClientTest, FailsOnAMethodThatWasNotOffered) {
  Dialogue anonymous;
  EXPECT_EQ(anonymous.reply(kUserPass).reason,
            "the SOCKS5 proxy chose authentication method 0x02, which tlsgate did not offer");
  Dialogue gssapi("backend.example", 443, "user", "secret");
  EXPECT_EQ(gssapi.reply(bytes({0x05, 0x01})).reason,
            "the SOCKS5 proxy chose authentication method 0x01, which tlsgate did not offer");
}

TEST(Socks5ClientTest, FailsWhenTheCredentialsAreRefused) {
  Dialogue dialogue("backend.example", 443, "user", "wrong");
  dialogue.reply(kUserPass);
  drain(dialogue.to_proxy);
  const StepResult result = dialogue.reply(bytes({0x01, 0x01}));
  ASSERT_TRUE(result.isFailed());
  EXPECT_EQ(result.reason, "the SOCKS5 proxy refused the username/password in auth_file");
  EXPECT_TRUE(dialogue.to_proxy.empty());  // no CONNECT after a refusal
}

TEST(Socks5ClientTest, FailsOnRepliesThatAreNotSocks5) {
  Dialogue http;
  EXPECT_EQ(http.reply("HTTP/1.1 400 Bad Request\r\n").reason,
            "the proxy did not answer as a SOCKS5 proxy (its reply starts with 0x48)");
  Dialogue socks4;
  EXPECT_EQ(socks4.reply(bytes({0x00, 0x5b})).reason,
            "the proxy did not answer as a SOCKS5 proxy (its reply starts with 0x00)");
  Dialogue bad_auth("backend.example", 443, "user", "secret");
  bad_auth.reply(kUserPass);
  EXPECT_EQ(bad_auth.reply(bytes({0x02, 0x00})).reason,
            "the SOCKS5 proxy's answer to the username/password starts with 0x02, not 0x01");
  Dialogue bad_connect;
  bad_connect.reply(kNoAuth);
  EXPECT_EQ(bad_connect.reply(bytes({0x04, 0x00})).reason,
            "the SOCKS5 proxy's CONNECT reply starts with 0x04, not 0x05");
  Dialogue bad_type;
  bad_type.reply(kNoAuth);
  EXPECT_EQ(bad_type.reply(bytes({0x05, 0x00, 0x00, 0x02})).reason,
            "the SOCKS5 proxy's CONNECT reply has an unknown address type (2)");
}

TEST(Socks5ClientTest, RefusesWhatSocks5CannotCarry) {
  const auto reason = [](std::string_view host, std::string username, std::string password) {
    Dialogue dialogue(host, 443, std::move(username), std::move(password));
    EXPECT_TRUE(dialogue.to_proxy.empty());
    return dialogue.reply(kNoAuth).reason;
  };
  EXPECT_EQ(reason("", "", ""), "the backend has no host name to send to the SOCKS5 proxy");
  EXPECT_EQ(reason("[]", "", ""), "the backend has no host name to send to the SOCKS5 proxy");
  EXPECT_EQ(reason(std::string(256, 'a'), "", ""),
            "the backend's host name is longer than the 255 bytes SOCKS5 can carry");
  EXPECT_EQ(reason("h", std::string(256, 'u'), "p"),
            "the username or password in auth_file is longer than the 255 bytes SOCKS5 can carry");
  EXPECT_EQ(reason("h", "u", std::string(256, 'p')),
            "the username or password in auth_file is longer than the 255 bytes SOCKS5 can carry");
}

TEST(Socks5ClientTest, CarriesTheLongestFields) {
  const std::string host(255, 'h');
  const std::string user(255, 'u');
  const std::string password(255, 'p');
  Dialogue dialogue(host, 1, user, password);
  drain(dialogue.to_proxy);
  dialogue.reply(kUserPass);
  EXPECT_EQ(drain(dialogue.to_proxy), bytes({0x01, 255}) + user + bytes({255}) + password);
  dialogue.reply(kAuthOk);
  EXPECT_EQ(drain(dialogue.to_proxy), bytes({0x05, 0x01, 0x00, 0x03, 255}) + host + bytes({0, 1}));
}

TEST(Socks5ClientTest, GivesTheSameAnswerOnceOver) {
  Dialogue done;
  done.reply(kNoAuth);
  ASSERT_TRUE(done.reply(kConnectOk + kConnectOk).isDone());
  EXPECT_TRUE(done.client.advance(done.from_proxy, done.to_proxy).isDone());
  EXPECT_EQ(done.from_proxy.size(), kConnectOk.size());

  Dialogue failed;
  failed.reply(kNoAuth);
  const StepResult first = failed.reply(refusal(2));
  const std::size_t left = failed.from_proxy.size();
  const StepResult again = failed.reply("");
  EXPECT_TRUE(again.isFailed());
  EXPECT_EQ(again.reason, first.reason);
  EXPECT_EQ(failed.from_proxy.size(), left);
}

}  // namespace
}  // namespace tlsgate
