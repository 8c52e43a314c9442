#include "protocol/starttls_server.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/greeting_skipper.h"
#include "queue_text.h"

namespace tlsgate {
namespace {

using namespace std::string_literals;

constexpr std::size_t kAll = static_cast<std::size_t>(-1);

// A client talking to tlsgate's side of the dialogue.
class Conversation {
 public:
  Conversation(StarttlsProtocol protocol, bool require)
      : server_(StarttlsServer::create({protocol, require, ""}, "mx.example.net")) {
    server_->begin(to_client_);
    greeting_ = take(to_client_);
  }

  // Sends `bytes` in slices of `slice`, with a call to advance() after each,
  // until the dialogue stops waiting.
  StepResult send(std::string_view bytes, std::size_t slice = kAll) {
    StepResult result = server_->advance(from_client_, to_client_);
    for (std::size_t at = 0; at < bytes.size() && result.status == StepStatus::need_input;
         at += slice) {
      put(from_client_, bytes.substr(at, slice));
      result = server_->advance(from_client_, to_client_);
    }
    return result;
  }

  std::string replies() { return take(to_client_); }
  const std::string& greeting() const { return greeting_; }
  StarttlsServer& server() { return *server_; }
  ByteQueue& fromClient() { return from_client_; }

 private:
  BufferPool pool_{64};
  ByteQueue from_client_{pool_};
  ByteQueue to_client_{pool_};
  std::unique_ptr<StarttlsServer> server_;
  std::string greeting_;
};

void expectFailure(const StepResult& result, std::string_view reason) {
  EXPECT_EQ(result.status, StepStatus::failed);
  EXPECT_EQ(result.reason, reason);
}

TEST(StarttlsServerTest, OffersOnlySmtpImapAndPop3) {
  EXPECT_EQ(StarttlsServer::create({StarttlsProtocol::ftp, true, ""}, "x"), nullptr);
  EXPECT_EQ(StarttlsServer::create({StarttlsProtocol::postgres, true, ""}, "x"), nullptr);
  EXPECT_EQ(StarttlsServer::create({StarttlsProtocol::none, true, ""}, "x"), nullptr);
}

// SMTP

TEST(SmtpStarttlsServerTest, UpgradesAsThunderbirdAsks) {
  for (std::size_t slice : {kAll, std::size_t{1}, std::size_t{6}}) {
    SCOPED_TRACE(slice);
    Conversation talk(StarttlsProtocol::smtp, true);
    EXPECT_EQ(talk.greeting(), "220 mx.example.net ESMTP ready\r\n");
    const StepResult result = talk.send("EHLO [192.168.1.20]\r\nSTARTTLS\r\n", slice);
    EXPECT_TRUE(result.isDone()) << result.reason;
    EXPECT_TRUE(talk.server().upgraded());
    EXPECT_EQ(talk.replies(),
              "250-mx.example.net\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n");
    EXPECT_EQ(talk.server().replay(), "");
  }
}

TEST(SmtpStarttlsServerTest, AnswersHeloNoopRsetAndBareLineEnds) {
  Conversation talk(StarttlsProtocol::smtp, true);
  EXPECT_EQ(talk.send("helo client.example\nnoop\nRSET\nehlo\nstarttls now\nStartTLS\n").status,
            StepStatus::done);
  EXPECT_EQ(talk.replies(),
            "250 mx.example.net\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n501 5.5.4 Syntax: ehlo "
            "hostname\r\n501 5.5.4 Syntax error (no parameters allowed)\r\n220 2.0.0 Ready to "
            "start TLS\r\n");
}

TEST(SmtpStarttlsServerTest, AllowsStarttlsBeforeEhlo) {
  Conversation talk(StarttlsProtocol::smtp, true);
  EXPECT_TRUE(talk.send("STARTTLS\r\n").isDone());
  EXPECT_TRUE(talk.server().upgraded());
}

TEST(SmtpStarttlsServerTest, QuitCloses) {
  Conversation talk(StarttlsProtocol::smtp, true);
  EXPECT_EQ(talk.send("EHLO c\r\nQUIT\r\n").status, StepStatus::close);
  EXPECT_EQ(talk.replies(), "250-mx.example.net\r\n250 STARTTLS\r\n221 2.0.0 Bye\r\n");
}

TEST(SmtpStarttlsServerTest, RefusesMailBeforeStarttlsWhenRequired) {
  Conversation talk(StarttlsProtocol::smtp, true);
  EXPECT_EQ(talk.send("EHLO c\r\nMAIL FROM:<a@example.com>\r\n").status, StepStatus::need_input);
  EXPECT_EQ(talk.replies(),
            "250-mx.example.net\r\n250 STARTTLS\r\n530 5.7.0 Must issue a STARTTLS command "
            "first\r\n");
  expectFailure(talk.send("AUTH PLAIN AGFAYQ==\r\nMAIL FROM:<a@example.com>\r\n"),
                "the client sent 3 commands that need TLS without asking for STARTTLS");
  EXPECT_EQ(talk.replies(),
            "530 5.7.0 Must issue a STARTTLS command first\r\n530 5.7.0 Must issue a STARTTLS "
            "command first\r\n");
}

TEST(SmtpStarttlsServerTest, LetsTheClientStayInPlaintextWhenNotRequired) {
  for (std::size_t slice : {kAll, std::size_t{1}}) {
    Conversation talk(StarttlsProtocol::smtp, false);
    const StepResult result = talk.send("EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n", slice);
    EXPECT_TRUE(result.isDone());
    EXPECT_FALSE(talk.server().upgraded());
    EXPECT_EQ(talk.server().replay(), "EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n");
    EXPECT_EQ(talk.server().replayReplies(), 1U);
  }
}

TEST(SmtpStarttlsServerTest, ReplaysOnlyTheCommandWithoutEhlo) {
  Conversation talk(StarttlsProtocol::smtp, false);
  EXPECT_TRUE(talk.send("VRFY postmaster\r\nRCPT TO:<b@example.com>\r\n").isDone());
  EXPECT_EQ(talk.server().replay(), "VRFY postmaster\r\n");
  EXPECT_EQ(talk.server().replayReplies(), 0U);
  // What came after the pending command is the relay's.
  EXPECT_EQ(take(talk.fromClient()), "RCPT TO:<b@example.com>\r\n");
}

TEST(SmtpStarttlsServerTest, RefusesBytesPipelinedBehindStarttls) {
  Conversation talk(StarttlsProtocol::smtp, true);
  expectFailure(talk.send("EHLO c\r\nSTARTTLS\r\nMAIL FROM:<evil@example.com>\r\n"),
                "the client sent data after STARTTLS before the handshake (possible command "
                "injection)");
  EXPECT_EQ(talk.replies(), "250-mx.example.net\r\n250 STARTTLS\r\n");  // no 220
  EXPECT_FALSE(talk.server().upgraded());
}

TEST(SmtpStarttlsServerTest, FailsOnAnOverlongLine) {
  Conversation talk(StarttlsProtocol::smtp, true);
  expectFailure(talk.send("EHLO " + std::string(2000, 'a')),
                "the client sent a command line longer than 1000 bytes before STARTTLS");
  EXPECT_EQ(talk.replies(), "500 5.5.2 Line too long\r\n");
}

TEST(SmtpStarttlsServerTest, FailsAfterTooManyCommands) {
  Conversation talk(StarttlsProtocol::smtp, true);
  std::string noops;
  for (int i = 0; i < 33; ++i) {
    noops += "NOOP\r\n";
  }
  expectFailure(talk.send(noops), "the client sent more than 32 commands before STARTTLS");
  const std::string replies = talk.replies();
  EXPECT_TRUE(replies.ends_with("250 2.0.0 OK\r\n421 4.7.0 Too many commands before STARTTLS\r\n"));
}

TEST(SmtpStarttlsServerTest, FailsOnGarbage) {
  Conversation talk(StarttlsProtocol::smtp, false);
  expectFailure(talk.send("EHLO \x01\x02\r\n"),
                "the client sent control characters in an SMTP command: \"EHLO \\x01\\x02\"");
  EXPECT_EQ(talk.replies(), "500 5.5.2 Syntax error\r\n");
}

TEST(SmtpStarttlsServerTest, SpotsAClientThatExpectsImplicitTls) {
  Conversation talk(StarttlsProtocol::smtp, true);
  expectFailure(talk.send("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
                "the client started a TLS handshake without STARTTLS (it may expect implicit "
                "TLS, which this listener does not offer)");
  EXPECT_EQ(talk.replies(), "");
}

TEST(SmtpStarttlsServerTest, AnswersTheSameAfterTheEnd) {
  Conversation talk(StarttlsProtocol::smtp, true);
  ASSERT_TRUE(talk.send("STARTTLS\r\n").isDone());
  talk.replies();
  put(talk.fromClient(), "\x16\x03\x01");
  EXPECT_TRUE(talk.server().advance(talk.fromClient(), talk.fromClient()).isDone());
  EXPECT_EQ(talk.fromClient().size(), 3U);
}

// IMAP

TEST(ImapStarttlsServerTest, UpgradesAsClientsAsk) {
  for (std::size_t slice : {kAll, std::size_t{1}, std::size_t{7}}) {
    SCOPED_TRACE(slice);
    Conversation talk(StarttlsProtocol::imap, true);
    EXPECT_EQ(talk.greeting(),
              "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] mx.example.net ready\r\n");
    EXPECT_TRUE(talk.send("A1 capability\r\nA2 NOOP\r\nA3 StartTLS\r\n", slice).isDone());
    EXPECT_TRUE(talk.server().upgraded());
    EXPECT_EQ(talk.replies(),
              "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nA1 OK CAPABILITY completed\r\n"
              "A2 OK NOOP completed\r\nA3 OK Begin TLS negotiation now\r\n");
  }
}

TEST(ImapStarttlsServerTest, LogoutCloses) {
  Conversation talk(StarttlsProtocol::imap, true);
  EXPECT_EQ(talk.send("a LOGOUT\n").status, StepStatus::close);
  EXPECT_EQ(talk.replies(), "* BYE mx.example.net logging out\r\na OK LOGOUT completed\r\n");
}

TEST(ImapStarttlsServerTest, RefusesLoginBeforeStarttlsWhenRequired) {
  Conversation talk(StarttlsProtocol::imap, true);
  EXPECT_EQ(talk.send("x1 LOGIN user secret\r\n").status, StepStatus::need_input);
  EXPECT_EQ(talk.replies(), "x1 NO [PRIVACYREQUIRED] STARTTLS is required first\r\n");
  EXPECT_EQ(talk.send("\r\n* LOGIN\r\nx2\r\n").status, StepStatus::failed);
  EXPECT_EQ(talk.replies(),
            "* BAD Expected a tag and a command\r\n* BAD Expected a tag and a command\r\n");
}

TEST(ImapStarttlsServerTest, CountsGarbageAsRefusals) {
  Conversation talk(StarttlsProtocol::imap, true);
  expectFailure(talk.send("hello\r\n\"q\" NOOP\r\na+ NOOP\r\n"),
                "the client sent 3 IMAP commands that were refused before STARTTLS");
  EXPECT_EQ(talk.replies(),
            "hello BAD Missing command\r\n* BAD Expected a tag and a command\r\n* BAD Expected a "
            "tag and a command\r\n");
}

TEST(ImapStarttlsServerTest, LetsTheClientStayInPlaintextWhenNotRequired) {
  Conversation talk(StarttlsProtocol::imap, false);
  EXPECT_EQ(talk.greeting(), "* OK [CAPABILITY IMAP4rev1 STARTTLS] mx.example.net ready\r\n");
  EXPECT_TRUE(talk.send("a1 CAPABILITY\r\na2 LOGIN user {6}\r\n").isDone());
  EXPECT_FALSE(talk.server().upgraded());
  EXPECT_EQ(talk.server().replay(), "a2 LOGIN user {6}\r\n");
  EXPECT_EQ(talk.server().replayReplies(), 0U);
}

TEST(ImapStarttlsServerTest, RefusesStarttlsWithArgumentsAndPipelinedBytes) {
  Conversation talk(StarttlsProtocol::imap, true);
  EXPECT_EQ(talk.send("a STARTTLS now\r\n").status, StepStatus::need_input);
  EXPECT_EQ(talk.replies(), "a BAD STARTTLS takes no arguments\r\n");
  expectFailure(talk.send("b STARTTLS\r\nc LOGIN user secret\r\n"),
                "the client sent data after STARTTLS before the handshake (possible command "
                "injection)");
  EXPECT_EQ(talk.replies(), "");
}

TEST(ImapStarttlsServerTest, BoundsLinesAndCommands) {
  Conversation talk(StarttlsProtocol::imap, true);
  expectFailure(talk.send("a LOGIN " + std::string(9000, 'a')),
                "the client sent a command line longer than 8192 bytes before STARTTLS");
  EXPECT_EQ(talk.replies(), "* BYE Line too long\r\n");
  Conversation chatty(StarttlsProtocol::imap, true);
  std::string noops;
  for (int i = 0; i < 33; ++i) {
    noops += "a NOOP\r\n";
  }
  expectFailure(chatty.send(noops), "the client sent more than 32 commands before STARTTLS");
  EXPECT_TRUE(chatty.replies().ends_with("* BYE Too many commands before STARTTLS\r\n"));
}

// POP3

TEST(Pop3StlsServerTest, UpgradesAsClientsAsk) {
  for (std::size_t slice : {kAll, std::size_t{1}}) {
    Conversation talk(StarttlsProtocol::pop3, true);
    EXPECT_EQ(talk.greeting(), "+OK mx.example.net ready\r\n");
    EXPECT_TRUE(talk.send("CAPA\r\nstls\r\n", slice).isDone());
    EXPECT_TRUE(talk.server().upgraded());
    EXPECT_EQ(talk.replies(),
              "+OK Capability list follows\r\nSTLS\r\n.\r\n+OK Begin TLS negotiation\r\n");
  }
}

TEST(Pop3StlsServerTest, QuitCloses) {
  Conversation talk(StarttlsProtocol::pop3, true);
  EXPECT_EQ(talk.send("QUIT\r\n").status, StepStatus::close);
  EXPECT_EQ(talk.replies(), "+OK Bye\r\n");
}

TEST(Pop3StlsServerTest, RefusesUserBeforeStlsWhenRequired) {
  Conversation talk(StarttlsProtocol::pop3, true);
  expectFailure(talk.send("USER alice\r\nPASS secret\r\nAPOP alice 0123\r\n"),
                "the client sent 3 POP3 commands that need TLS without asking for STLS");
  EXPECT_EQ(talk.replies(),
            "-ERR Command not permitted until STLS\r\n-ERR Command not permitted until "
            "STLS\r\n-ERR Command not permitted until STLS\r\n");
}

TEST(Pop3StlsServerTest, LetsTheClientStayInPlaintextWhenNotRequired) {
  Conversation talk(StarttlsProtocol::pop3, false);
  EXPECT_TRUE(talk.send("CAPA\r\nUSER alice\r\nPASS secret\r\n").isDone());
  EXPECT_EQ(talk.server().replay(), "USER alice\r\n");
  EXPECT_EQ(take(talk.fromClient()), "PASS secret\r\n");
}

TEST(Pop3StlsServerTest, RefusesStlsWithArgumentsPipelinedBytesAndGarbage) {
  Conversation talk(StarttlsProtocol::pop3, true);
  EXPECT_EQ(talk.send("STLS please\r\n").status, StepStatus::need_input);
  EXPECT_EQ(talk.replies(), "-ERR STLS takes no arguments\r\n");
  expectFailure(talk.send("STLS\r\nUSER alice\r\n"),
                "the client sent data after STLS before the handshake (possible command "
                "injection)");
  Conversation garbage(StarttlsProtocol::pop3, true);
  expectFailure(garbage.send("US\x00R\r\n"s),
                "the client sent control characters in a POP3 command: \"US\\x00R\"");
  EXPECT_EQ(garbage.replies(), "-ERR Control characters in a command\r\n");
  Conversation overlong(StarttlsProtocol::pop3, true);
  expectFailure(overlong.send(std::string(1001, 'U')),
                "the client sent a command line longer than 1000 bytes before STLS");
  EXPECT_EQ(overlong.replies(), "-ERR Line too long\r\n");
}

// The backend's greeting.

class GreetingSkipperTest : public ::testing::Test {
 protected:
  BufferPool pool_{64};
  ByteQueue from_server_{pool_};
  ByteQueue to_server_{pool_};
};

TEST_F(GreetingSkipperTest, DropsAnSmtpGreetingAndTheReplayedEhloReply) {
  GreetingSkipper skipper(StarttlsProtocol::smtp, 1, "EHLO c\r\nMAIL FROM:<a@example.com>\r\n");
  EXPECT_EQ(skipper.advance(from_server_, to_server_).status, StepStatus::need_input);
  EXPECT_TRUE(to_server_.empty());  // nothing before the greeting
  put(from_server_, "220-mx.example.org ESMTP\r\n220 Postfix\r\n250-mx.example.org\r\n");
  EXPECT_EQ(skipper.advance(from_server_, to_server_).status, StepStatus::need_input);
  EXPECT_EQ(take(to_server_), "EHLO c\r\n");  // the command waits for the EHLO reply
  put(from_server_, "250-PIPELINING\r\n250 CHUNKING\r\n250 2.1.0 Ok\r\n");
  EXPECT_TRUE(skipper.advance(from_server_, to_server_).isDone());
  EXPECT_EQ(take(to_server_), "MAIL FROM:<a@example.com>\r\n");
  EXPECT_EQ(take(from_server_), "250 2.1.0 Ok\r\n");
}

TEST_F(GreetingSkipperTest, SendsAnImapCommandOnceGreeted) {
  GreetingSkipper skipper(StarttlsProtocol::imap, 0, "a2 LOGIN u p\r\n");
  put(from_server_, "* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\na2 OK Logged in\r\n");
  EXPECT_TRUE(skipper.advance(from_server_, to_server_).isDone());
  EXPECT_EQ(take(to_server_), "a2 LOGIN u p\r\n");
  EXPECT_EQ(take(from_server_), "a2 OK Logged in\r\n");
}

TEST_F(GreetingSkipperTest, DropsWholeImapResponses) {
  GreetingSkipper skipper(StarttlsProtocol::imap, 1);
  put(from_server_, "* PREAUTH hi\r\n* CAPABILITY IMAP4rev1\r\nt OK done\r\nrest");
  EXPECT_TRUE(skipper.advance(from_server_).isDone());
  EXPECT_EQ(take(from_server_), "rest");
}

TEST_F(GreetingSkipperTest, DropsAPop3GreetingByteByByte) {
  GreetingSkipper skipper(StarttlsProtocol::pop3, 0, "USER alice\r\n");
  const std::string greeting = "+OK Dovecot (Debian) ready.\r\n";
  for (char c : greeting) {
    EXPECT_EQ(skipper.advance(from_server_, to_server_).status, StepStatus::need_input);
    put(from_server_, std::string(1, c));
  }
  EXPECT_TRUE(skipper.advance(from_server_, to_server_).isDone());
  EXPECT_EQ(take(to_server_), "USER alice\r\n");
}

TEST_F(GreetingSkipperTest, FailsOnAnUnexpectedGreeting) {
  GreetingSkipper smtp(StarttlsProtocol::smtp, 1);
  put(from_server_, "554 5.3.2 mx busy\r\n");
  expectFailure(smtp.advance(from_server_), "the server greeted with 554 5.3.2 mx busy");
  ByteQueue imap_bytes(pool_);
  GreetingSkipper imap(StarttlsProtocol::imap, 0);
  put(imap_bytes, "* BYE overloaded\r\n");
  expectFailure(imap.advance(imap_bytes), "the server greeted with * BYE overloaded");
  ByteQueue pop3_bytes(pool_);
  GreetingSkipper pop3(StarttlsProtocol::pop3, 0);
  put(pop3_bytes, "-ERR no\r\n");
  expectFailure(pop3.advance(pop3_bytes), "the server greeted with -ERR no");
}

TEST_F(GreetingSkipperTest, FailsWhenTheReplayedEhloIsRefused) {
  GreetingSkipper skipper(StarttlsProtocol::smtp, 1, "EHLO c\r\nMAIL FROM:<>\r\n");
  put(from_server_, "220 mx\r\n550 5.7.1 go away\r\n");
  expectFailure(skipper.advance(from_server_, to_server_),
                "the server refused the client's replayed command: 550 5.7.1 go away");
  EXPECT_EQ(take(to_server_), "EHLO c\r\n");
}

TEST_F(GreetingSkipperTest, HasNothingToDropWithoutAGreeting) {
  GreetingSkipper skipper(StarttlsProtocol::postgres, 0);
  put(from_server_, "R");
  EXPECT_TRUE(skipper.advance(from_server_).isDone());
  EXPECT_EQ(from_server_.size(), 1U);
}

}  // namespace
}  // namespace tlsgate
