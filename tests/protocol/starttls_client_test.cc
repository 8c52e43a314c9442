#include "protocol/starttls_client.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/imap_starttls.h"
#include "queue_text.h"

namespace tlsgate {
namespace {

using namespace std::string_literals;

constexpr std::size_t kAll = static_cast<std::size_t>(-1);

// Transcripts as real servers send them.
constexpr std::string_view kEximGreeting =
    "220 mail.example.com ESMTP Exim 4.96 Tue, 01 Dec 2026 10:00:00 +0000\r\n";
constexpr std::string_view kEximEhlo =
    "250-mail.example.com Hello gate.example.net [192.0.2.1]\r\n"
    "250-SIZE 52428800\r\n"
    "250-8BITMIME\r\n"
    "250-PIPELINING\r\n"
    "250-PIPECONNECT\r\n"
    "250-CHUNKING\r\n"
    "250-STARTTLS\r\n"
    "250-PRDR\r\n"
    "250 HELP\r\n";
constexpr std::string_view kEximStarttls = "220 TLS go ahead\r\n";

constexpr std::string_view kPostfixGreeting = "220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n";
constexpr std::string_view kPostfixEhlo =
    "250-mx.example.org\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 10240000\r\n"
    "250-VRFY\r\n"
    "250-ETRN\r\n"
    "250-starttls\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-8BITMIME\r\n"
    "250-DSN\r\n"
    "250-SMTPUTF8\r\n"
    "250 CHUNKING\r\n";
constexpr std::string_view kPostfixStarttls = "220 2.0.0 Ready to start TLS\r\n";

constexpr std::string_view kDovecotImapGreeting =
    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
    "LOGINDISABLED] Dovecot (Debian) ready.\r\n";

constexpr std::string_view kDovecotPop3Greeting = "+OK Dovecot (Debian) ready.\r\n";
constexpr std::string_view kDovecotCapa =
    "+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\n"
    "SASL PLAIN\r\n.\r\n";

struct Outcome {
  StepResult result;
  std::string to_server;  // everything tlsgate queued, begin() included
  std::string to_client;
  std::size_t left = 0;  // server bytes left unconsumed
};

// Runs a client over the server's whole transcript, delivered in slices of
// `slice` bytes with a call to advance() after each.
Outcome run(StarttlsProtocol protocol, std::string_view from, std::size_t slice = kAll) {
  BufferPool pool(64);  // small chunks, so lines straddle them
  ByteQueue from_server(pool);
  ByteQueue to_server(pool);
  ByteQueue to_client(pool);
  auto client = StarttlsClient::create(protocol, "gate.example.net");
  Outcome outcome;
  client->begin(to_server);
  outcome.result = client->advance(from_server, to_server, &to_client);
  for (std::size_t at = 0; at < from.size() && outcome.result.status == StepStatus::need_input;
       at += slice) {
    put(from_server, from.substr(at, slice));
    outcome.result = client->advance(from_server, to_server, &to_client);
  }
  outcome.to_server = take(to_server);
  outcome.to_client = take(to_client);
  outcome.left = from_server.size();
  return outcome;
}

void expectDone(const Outcome& outcome) {
  EXPECT_EQ(outcome.result.status, StepStatus::done) << outcome.result.reason;
  EXPECT_EQ(outcome.left, 0U);
}

void expectFailure(const Outcome& outcome, std::string_view reason) {
  EXPECT_EQ(outcome.result.status, StepStatus::failed);
  EXPECT_EQ(outcome.result.reason, reason);
}

TEST(StarttlsClientTest, NoneHasNoDialogue) {
  EXPECT_EQ(StarttlsClient::create(StarttlsProtocol::none, "x"), nullptr);
}

// SMTP

TEST(SmtpStarttlsClientTest, UpgradesWithExim) {
  const std::string transcript =
      std::string(kEximGreeting) + std::string(kEximEhlo) + std::string(kEximStarttls);
  for (std::size_t slice : {kAll, std::size_t{1}, std::size_t{5}}) {
    SCOPED_TRACE(slice);
    const Outcome outcome = run(StarttlsProtocol::smtp, transcript, slice);
    expectDone(outcome);
    EXPECT_EQ(outcome.to_server, "EHLO gate.example.net\r\nSTARTTLS\r\n");
    EXPECT_EQ(outcome.to_client, kEximGreeting);
  }
}

TEST(SmtpStarttlsClientTest, UpgradesWithPostfixWhoseKeywordIsLowerCase) {
  const std::string transcript =
      std::string(kPostfixGreeting) + std::string(kPostfixEhlo) + std::string(kPostfixStarttls);
  for (std::size_t slice : {kAll, std::size_t{1}}) {
    const Outcome outcome = run(StarttlsProtocol::smtp, transcript, slice);
    expectDone(outcome);
    EXPECT_EQ(outcome.to_client, kPostfixGreeting);
  }
}

TEST(SmtpStarttlsClientTest, ForwardsAMultiLineGreetingWithCrlf) {
  const Outcome outcome =
      run(StarttlsProtocol::smtp,
          "220-mx.example.net ESMTP\n220-No UCE\n220 Go ahead\n250-mx\n250 STARTTLS\n220 ok\n");
  expectDone(outcome);
  EXPECT_EQ(outcome.to_client, "220-mx.example.net ESMTP\r\n220-No UCE\r\n220 Go ahead\r\n");
}

TEST(SmtpStarttlsClientTest, WaitsForEachReplyBeforeTheNextCommand) {
  BufferPool pool(64);
  ByteQueue from_server(pool);
  ByteQueue to_server(pool);
  ByteQueue to_client(pool);
  auto client = StarttlsClient::create(StarttlsProtocol::smtp, "gate.example.net");
  client->begin(to_server);
  EXPECT_TRUE(to_server.empty());
  put(from_server, "220-mx.example.net\r\n");
  EXPECT_EQ(client->advance(from_server, to_server, &to_client).status, StepStatus::need_input);
  EXPECT_TRUE(to_server.empty());  // the greeting is not over yet
  EXPECT_TRUE(to_client.empty());
  put(from_server, "220 ready\r\n250-mx.example.net\r\n");
  EXPECT_EQ(client->advance(from_server, to_server, &to_client).status, StepStatus::need_input);
  EXPECT_EQ(take(to_server), "EHLO gate.example.net\r\n");
  put(from_server, "250 STARTTLS\r\n");
  EXPECT_EQ(client->advance(from_server, to_server, &to_client).status, StepStatus::need_input);
  EXPECT_EQ(take(to_server), "STARTTLS\r\n");
  put(from_server, "220 go ahead\r\n");
  EXPECT_TRUE(client->advance(from_server, to_server, &to_client).isDone());
}

TEST(SmtpStarttlsClientTest, DropsTheGreetingWithoutAClientQueue) {
  BufferPool pool(64);
  ByteQueue from_server(pool);
  ByteQueue to_server(pool);
  auto client = StarttlsClient::create(StarttlsProtocol::smtp, "gate.example.net");
  client->begin(to_server);
  put(from_server,
      std::string(kEximGreeting) + std::string(kEximEhlo) + std::string(kEximStarttls));
  EXPECT_TRUE(client->advance(from_server, to_server, nullptr).isDone());
}

TEST(SmtpStarttlsClientTest, FailsOnARefusingGreeting) {
  expectFailure(run(StarttlsProtocol::smtp, "554 5.7.1 mx.example.com: Client host rejected\r\n"),
                "the SMTP server greeted with 554 5.7.1 mx.example.com: Client host rejected");
}

TEST(SmtpStarttlsClientTest, FailsWhenStarttlsIsNotOffered) {
  const Outcome outcome =
      run(StarttlsProtocol::smtp,
          "220 mx\r\n250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
  expectFailure(outcome,
                "the server does not offer STARTTLS (its EHLO reply: 250-mx.example.com / "
                "250-PIPELINING / 250 SIZE 1000)");
  EXPECT_EQ(outcome.to_server, "EHLO gate.example.net\r\n");
}

TEST(SmtpStarttlsClientTest, DoesNotTakeTheServerNameForTheKeyword) {
  expectFailure(run(StarttlsProtocol::smtp, "220 mx\r\n250-STARTTLS\r\n250 SIZE\r\n"),
                "the server does not offer STARTTLS (its EHLO reply: 250-STARTTLS / 250 SIZE)");
}

TEST(SmtpStarttlsClientTest, FailsWhenEhloIsRefused) {
  expectFailure(
      run(StarttlsProtocol::smtp, "220 mx\r\n502 5.5.2 Error: command not recognized\r\n"),
      "the SMTP server refused EHLO: 502 5.5.2 Error: command not recognized");
}

TEST(SmtpStarttlsClientTest, FailsWhenStarttlsIsRefused) {
  expectFailure(run(StarttlsProtocol::smtp,
                    "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n"),
                "the server refused STARTTLS: 454 4.7.0 TLS not available");
}

TEST(SmtpStarttlsClientTest, RefusesBytesQueuedBehindTheGoAhead) {
  const Outcome outcome = run(StarttlsProtocol::smtp,
                              "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n250 fake\r\n");
  expectFailure(outcome,
                "the server sent 10 bytes after its STARTTLS reply, before the TLS handshake; "
                "refusing them (possible command injection)");
}

TEST(SmtpStarttlsClientTest, FailsOnMalformedReplies) {
  expectFailure(run(StarttlsProtocol::smtp, "hello\r\n"),
                "the SMTP server sent a malformed reply line: \"hello\"");
  expectFailure(run(StarttlsProtocol::smtp, "220-mx\r\n250 mixed\r\n"),
                "the SMTP server sent a malformed reply line: \"250 mixed\"");
  expectFailure(run(StarttlsProtocol::smtp, "220_mx\r\n"),
                "the SMTP server sent a malformed reply line: \"220_mx\"");
  expectFailure(run(StarttlsProtocol::smtp, "\x16\x03\x01\r\n"),
                "the SMTP server sent a malformed reply line: \"\\x16\\x03\\x01\"");
}

TEST(SmtpStarttlsClientTest, BoundsReplyLinesAndLength) {
  std::string many;
  for (int i = 0; i < 64; ++i) {
    many += "220-line\r\n";
  }
  expectFailure(run(StarttlsProtocol::smtp, many),
                "the SMTP server sent a reply of more than 64 lines");
  expectFailure(run(StarttlsProtocol::smtp, "220 " + std::string(5000, 'x')),
                "the SMTP server sent a reply line longer than 4096 bytes");
}

TEST(SmtpStarttlsClientTest, AnswersTheSameAfterTheEnd) {
  BufferPool pool(64);
  ByteQueue from_server(pool);
  ByteQueue to_server(pool);
  auto client = StarttlsClient::create(StarttlsProtocol::smtp, "gate.example.net");
  put(from_server, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n");
  ASSERT_TRUE(client->advance(from_server, to_server, nullptr).isDone());
  put(from_server, "\x16\x03\x03");  // the server's first TLS bytes
  EXPECT_TRUE(client->advance(from_server, to_server, nullptr).isDone());
  EXPECT_EQ(from_server.size(), 3U);
}

// IMAP

TEST(ImapStarttlsClientTest, UpgradesWithDovecotAndHidesThePreTlsCapabilities) {
  const std::string transcript =
      std::string(kDovecotImapGreeting) + "tlsgate1 OK Begin TLS negotiation now.\r\n";
  for (std::size_t slice : {kAll, std::size_t{1}, std::size_t{9}}) {
    SCOPED_TRACE(slice);
    const Outcome outcome = run(StarttlsProtocol::imap, transcript, slice);
    expectDone(outcome);
    EXPECT_EQ(outcome.to_server, "tlsgate1 STARTTLS\r\n");
    EXPECT_EQ(outcome.to_client, "* OK Dovecot (Debian) ready.\r\n");
  }
}

TEST(ImapStarttlsClientTest, AsksForCapabilitiesWhenTheGreetingHasNone) {
  const std::string transcript =
      "* OK mail.example.com Cyrus IMAP v3.6.1 server ready\r\n"
      "* CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS AUTH=PLAIN SASL-IR\r\n"
      "tlsgate1 OK Completed\r\n"
      "tlsgate2 OK Begin TLS negotiation now\r\n";
  for (std::size_t slice : {kAll, std::size_t{1}}) {
    const Outcome outcome = run(StarttlsProtocol::imap, transcript, slice);
    expectDone(outcome);
    EXPECT_EQ(outcome.to_server, "tlsgate1 CAPABILITY\r\ntlsgate2 STARTTLS\r\n");
    EXPECT_EQ(outcome.to_client, "* OK mail.example.com Cyrus IMAP v3.6.1 server ready\r\n");
  }
}

TEST(ImapStarttlsClientTest, AsksAgainWhenTheGreetingListLacksStarttls) {
  const Outcome outcome = run(StarttlsProtocol::imap,
                              "* OK [CAPABILITY IMAP4rev1] hi\r\n"
                              "* capability imap4rev1 starttls\r\n"
                              "tlsgate1 OK done\r\n"
                              "* OK an aside\r\n"
                              "tlsgate2 OK go\r\n");
  expectDone(outcome);
  EXPECT_EQ(outcome.to_client, "* OK hi\r\n");
}

TEST(ImapStarttlsClientTest, ParsesGreetings) {
  ImapGreeting greeting = parseImapGreeting("* OK [CAPABILITY IMAP4rev1 STARTTLS]");
  EXPECT_EQ(greeting.status, "OK");
  EXPECT_TRUE(greeting.has_capabilities);
  EXPECT_EQ(greeting.capabilities, "IMAP4rev1 STARTTLS");
  EXPECT_EQ(greeting.without_capabilities, "* OK ready");
  greeting = parseImapGreeting("* PREAUTH [ALERT] hello");
  EXPECT_EQ(greeting.status, "PREAUTH");
  EXPECT_FALSE(greeting.has_capabilities);
  EXPECT_EQ(greeting.without_capabilities, "* PREAUTH [ALERT] hello");
  greeting = parseImapGreeting("* OK [CAPABILITYX] hello");
  EXPECT_FALSE(greeting.has_capabilities);
  greeting = parseImapGreeting("* OK [CAPABILITY IMAP4rev1 hello");
  EXPECT_FALSE(greeting.has_capabilities);
  EXPECT_EQ(parseImapGreeting("a OK").status, "");
}

TEST(ImapStarttlsClientTest, FailsOnBye) {
  expectFailure(run(StarttlsProtocol::imap, "* BYE Too many connections from your IP\r\n"),
                "the IMAP server greeted with * BYE Too many connections from your IP");
  expectFailure(run(StarttlsProtocol::imap, "* OK hi\r\n* BYE shutting down\r\n"),
                "the IMAP server said * BYE shutting down");
}

TEST(ImapStarttlsClientTest, FailsOnAnUnexpectedGreeting) {
  expectFailure(run(StarttlsProtocol::imap, "+OK pop3 here\r\n"),
                "the IMAP server greeted with +OK pop3 here");
}

TEST(ImapStarttlsClientTest, FailsWhenStarttlsIsNotOffered) {
  expectFailure(run(StarttlsProtocol::imap,
                    "* OK hi\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\ntlsgate1 OK done\r\n"),
                "the server does not offer STARTTLS (its CAPABILITY reply: * CAPABILITY IMAP4rev1 "
                "AUTH=PLAIN)");
  expectFailure(run(StarttlsProtocol::imap, "* OK hi\r\ntlsgate1 OK done\r\n"),
                "the server does not offer STARTTLS (it sent no CAPABILITY list)");
  expectFailure(run(StarttlsProtocol::imap, "* OK hi\r\ntlsgate1 BAD unknown command\r\n"),
                "the IMAP server refused CAPABILITY: tlsgate1 BAD unknown command");
}

TEST(ImapStarttlsClientTest, FailsWhenStarttlsIsRefused) {
  const std::string greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n";
  expectFailure(run(StarttlsProtocol::imap, greeting + "tlsgate1 NO TLS not available\r\n"),
                "the server refused STARTTLS: tlsgate1 NO TLS not available");
  expectFailure(run(StarttlsProtocol::imap, greeting + "tlsgate1 BAD not now\r\n"),
                "the server refused STARTTLS: tlsgate1 BAD not now");
  expectFailure(run(StarttlsProtocol::imap, greeting + "other1 OK\r\n"),
                "the IMAP server sent an unexpected line: other1 OK");
}

TEST(ImapStarttlsClientTest, RefusesBytesQueuedBehindTheGoAhead) {
  expectFailure(run(StarttlsProtocol::imap,
                    "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\ntlsgate1 OK go\r\n* OK x\r\n"),
                "the server sent 8 bytes after its STARTTLS reply, before the TLS handshake; "
                "refusing them (possible command injection)");
}

TEST(ImapStarttlsClientTest, BoundsResponses) {
  std::string many = "* OK hi\r\n";
  for (int i = 0; i < 65; ++i) {
    many += "* CAPABILITY IMAP4rev1\r\n";
  }
  expectFailure(run(StarttlsProtocol::imap, many),
                "the IMAP server sent more than 64 lines in one response");
  expectFailure(run(StarttlsProtocol::imap, "* OK " + std::string(4096, 'x')),
                "the IMAP server sent a line longer than 4096 bytes");
}

// POP3

TEST(Pop3StlsClientTest, UpgradesWithDovecot) {
  const std::string transcript = std::string(kDovecotPop3Greeting) + std::string(kDovecotCapa) +
                                 "+OK Begin TLS negotiation now.\r\n";
  for (std::size_t slice : {kAll, std::size_t{1}, std::size_t{4}}) {
    SCOPED_TRACE(slice);
    const Outcome outcome = run(StarttlsProtocol::pop3, transcript, slice);
    expectDone(outcome);
    EXPECT_EQ(outcome.to_server, "CAPA\r\nSTLS\r\n");
    EXPECT_EQ(outcome.to_client, kDovecotPop3Greeting);
  }
}

TEST(Pop3StlsClientTest, TriesStlsWhenCapaIsUnknown) {
  const Outcome outcome =
      run(StarttlsProtocol::pop3, "+OK old server\r\n-ERR unknown command\r\n+OK go\r\n");
  expectDone(outcome);
  EXPECT_EQ(outcome.to_server, "CAPA\r\nSTLS\r\n");
}

TEST(Pop3StlsClientTest, FailsOnAnErrGreeting) {
  expectFailure(run(StarttlsProtocol::pop3, "-ERR [SYS/TEMP] Too many connections\r\n"),
                "the POP3 server greeted with -ERR [SYS/TEMP] Too many connections");
  expectFailure(run(StarttlsProtocol::pop3, "+OKAY\r\n"), "the POP3 server greeted with +OKAY");
}

TEST(Pop3StlsClientTest, FailsWhenStlsIsNotListed) {
  expectFailure(run(StarttlsProtocol::pop3, "+OK hi\r\n+OK\r\nUSER\r\n..odd\r\n.\r\n"),
                "the server does not offer STLS (its CAPA list: USER / .odd)");
}

TEST(Pop3StlsClientTest, FailsWhenStlsIsRefused) {
  expectFailure(run(StarttlsProtocol::pop3, "+OK hi\r\n+OK\r\nSTLS\r\n.\r\n-ERR TLS not ready\r\n"),
                "the server refused STLS: -ERR TLS not ready");
  expectFailure(run(StarttlsProtocol::pop3, "+OK hi\r\nwhat\r\n"),
                "the POP3 server answered CAPA with what");
}

TEST(Pop3StlsClientTest, RefusesBytesQueuedBehindTheGoAhead) {
  expectFailure(run(StarttlsProtocol::pop3, "+OK hi\r\n-ERR\r\n+OK go\r\n+OK\r\n"),
                "the server sent 5 bytes after its STLS reply, before the TLS handshake; "
                "refusing them (possible command injection)");
}

TEST(Pop3StlsClientTest, BoundsTheCapaList) {
  std::string many = "+OK hi\r\n+OK\r\n";
  for (int i = 0; i < 65; ++i) {
    many += "X\r\n";
  }
  expectFailure(run(StarttlsProtocol::pop3, many),
                "the POP3 server listed more than 64 capabilities");
}

// FTP

TEST(FtpAuthTlsClientTest, UpgradesWithVsftpd) {
  for (std::size_t slice : {kAll, std::size_t{1}}) {
    const Outcome outcome = run(StarttlsProtocol::ftp,
                                "220 (vsFTPd 3.0.3)\r\n234 Proceed with negotiation.\r\n", slice);
    expectDone(outcome);
    EXPECT_EQ(outcome.to_server, "AUTH TLS\r\n");
    EXPECT_EQ(outcome.to_client, "220 (vsFTPd 3.0.3)\r\n");
  }
}

TEST(FtpAuthTlsClientTest, UpgradesWithProftpdsMultiLineBanner) {
  const std::string greeting =
      "220-ProFTPD Server (Debian) [::ffff:192.0.2.10]\r\n"
      " Welcome; all activity is logged.\r\n"
      "220-still the banner\r\n"
      "220 \r\n";
  const Outcome outcome = run(StarttlsProtocol::ftp, greeting + "234 AUTH TLS successful\r\n", 3);
  expectDone(outcome);
  EXPECT_EQ(outcome.to_client, greeting);
}

TEST(FtpAuthTlsClientTest, FailsWhenRefused) {
  expectFailure(run(StarttlsProtocol::ftp, "421 Service not available\r\n"),
                "the FTP server greeted with 421 Service not available");
  expectFailure(run(StarttlsProtocol::ftp, "220 hi\r\n530 Please login with USER and PASS.\r\n"),
                "the server refused AUTH TLS: 530 Please login with USER and PASS.");
}

TEST(FtpAuthTlsClientTest, RefusesBytesQueuedBehindTheGoAhead) {
  expectFailure(run(StarttlsProtocol::ftp, "220 hi\r\n234 go\r\n230 in\r\n"),
                "the server sent 8 bytes after its AUTH TLS reply, before the TLS handshake; "
                "refusing them (possible command injection)");
}

// PostgreSQL

TEST(PostgresSslClientTest, SendsTheSslRequestAndTakesS) {
  for (std::size_t slice : {kAll, std::size_t{1}}) {
    const Outcome outcome = run(StarttlsProtocol::postgres, "S", slice);
    expectDone(outcome);
    EXPECT_EQ(outcome.to_server, "\x00\x00\x00\x08\x04\xd2\x16\x2f"s);
    EXPECT_EQ(outcome.to_client, "");
  }
}

TEST(PostgresSslClientTest, FailsOnN) {
  expectFailure(run(StarttlsProtocol::postgres, "N"),
                "the server does not accept SSL (answered N to SSLRequest); check ssl = on in "
                "postgresql.conf");
}

TEST(PostgresSslClientTest, QuotesAnErrorResponse) {
  const std::string fields =
      "SFATAL\0VFATAL\0C0A000\0Munsupported frontend protocol 1234.5679: server supports 3.0 "
      "to 3.0\0Fpostmaster.c\0L2071\0RProcessStartupPacket\0\0"s;
  const std::string message =
      std::string{'E', '\0', '\0', '\0', static_cast<char>(4 + fields.size())}.append(fields);
  for (std::size_t slice : {kAll, std::size_t{1}}) {
    expectFailure(run(StarttlsProtocol::postgres, message, slice),
                  "the server answered the SSLRequest with an error: unsupported frontend "
                  "protocol 1234.5679: server supports 3.0 to 3.0");
  }
  expectFailure(run(StarttlsProtocol::postgres, "E\0\0\0\x06S\0"s),
                "the server answered the SSLRequest with an error");
  expectFailure(run(StarttlsProtocol::postgres, "EFATAL: no"),
                "the server answered the SSLRequest with a malformed error");
}

TEST(PostgresSslClientTest, FailsOnAnythingElse) {
  expectFailure(run(StarttlsProtocol::postgres, "\x16\x03\x01"),
                "the server answered the SSLRequest with \\x16, not S or N (is it a PostgreSQL "
                "server?)");
}

TEST(PostgresSslClientTest, RefusesBytesAfterS) {
  expectFailure(run(StarttlsProtocol::postgres, "SE"),
                "the server sent 1 byte after its answer 'S' to the SSLRequest, before the TLS "
                "handshake; refusing them (possible command injection)");
}

// The plaintext client's own requests.

class DeclinePostgresEncryptionTest : public ::testing::Test {
 protected:
  BufferPool pool_{64};
  ByteQueue from_client_{pool_};
  ByteQueue to_client_{pool_};
};

const std::string kSslRequest = "\x00\x00\x00\x08\x04\xd2\x16\x2f"s;
const std::string kGssEncRequest = "\x00\x00\x00\x08\x04\xd2\x16\x30"s;
const std::string kStartup = "\x00\x00\x00\x29\x00\x03\x00\x00user\0postgres\0"s;

TEST_F(DeclinePostgresEncryptionTest, AnswersNToGssEncThenSsl) {
  put(from_client_, kGssEncRequest + kSslRequest + kStartup);
  EXPECT_TRUE(declinePostgresEncryption(from_client_, to_client_).isDone());
  EXPECT_EQ(take(to_client_), "NN");
  EXPECT_EQ(take(from_client_), kStartup);
}

TEST_F(DeclinePostgresEncryptionTest, WaitsByteByByteWhileItCouldBeARequest) {
  for (char c : kSslRequest) {
    EXPECT_EQ(declinePostgresEncryption(from_client_, to_client_).status, StepStatus::need_input);
    put(from_client_, std::string(1, c));
  }
  EXPECT_EQ(declinePostgresEncryption(from_client_, to_client_).status, StepStatus::need_input);
  EXPECT_EQ(take(to_client_), "N");
  put(from_client_, kStartup.substr(0, 3));  // 00 00 00: could still be one
  EXPECT_EQ(declinePostgresEncryption(from_client_, to_client_).status, StepStatus::need_input);
  put(from_client_, kStartup.substr(3, 1));  // length 0x29: cannot
  EXPECT_TRUE(declinePostgresEncryption(from_client_, to_client_).isDone());
  EXPECT_EQ(from_client_.size(), 4U);
  EXPECT_TRUE(to_client_.empty());
}

TEST_F(DeclinePostgresEncryptionTest, LeavesAStartupMessageAlone) {
  put(from_client_, kStartup);
  EXPECT_TRUE(declinePostgresEncryption(from_client_, to_client_).isDone());
  EXPECT_EQ(from_client_.size(), kStartup.size());
  EXPECT_TRUE(to_client_.empty());
  // A CancelRequest (length 16) is for the server, too.
  ByteQueue cancel(pool_);
  put(cancel, "\x00\x00\x00\x10\x04\xd2\x16\x2e"s);
  EXPECT_TRUE(declinePostgresEncryption(cancel, to_client_).isDone());
  EXPECT_EQ(cancel.size(), 8U);
}

}  // namespace
}  // namespace tlsgate
