#include "support/client_hello.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <memory>

namespace tlsgate::test {
namespace {

int addCustomExtension(SSL* /*ssl*/, unsigned int /*type*/, const unsigned char** out,
                       std::size_t* out_length, int* /*alert*/, void* arg) {
  const auto* blob = static_cast<const std::string*>(arg);
  *out = reinterpret_cast<const unsigned char*>(blob->data());
  *out_length = blob->size();
  return 1;
}

}  // namespace

std::string openSslClientHello(const ClientHelloOptions& options) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  const std::string blob(options.custom_extension, 'x');
  if (options.custom_extension > 0) {
    SSL_CTX_add_client_custom_ext(ctx.get(), 0xFEED, addCustomExtension, nullptr,
                                  const_cast<std::string*>(&blob), nullptr, nullptr);
  }
  if (options.max_version != 0) {
    SSL_CTX_set_max_proto_version(ctx.get(), options.max_version);
  }
  if (options.padding) {
    SSL_CTX_set_options(ctx.get(), SSL_OP_TLSEXT_PADDING);
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  BIO* wbio = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), BIO_new(BIO_s_mem()), wbio);
  SSL_set_connect_state(ssl.get());
  if (!options.sni.empty()) {
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is its body.
    SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(options.sni.c_str()));
  }
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& name : options.alpn) {
      wire += static_cast<char>(name.size());
      wire += name;
    }
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned int>(wire.size()));
  }
  // It waits for the ServerHello.
  if (SSL_do_handshake(ssl.get()) != -1 || SSL_get_error(ssl.get(), -1) != SSL_ERROR_WANT_READ) {
    return {};
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(wbio, &data);
  return {data, static_cast<std::size_t>(size)};
}

}  // namespace tlsgate::test
