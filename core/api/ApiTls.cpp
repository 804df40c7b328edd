#include "api/ApiTls.h"

#include <QFile>
#include <QFileInfo>

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_context.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

namespace ssl = boost::asio::ssl;

namespace Slipway::ApiTls {

namespace {

Result<void> checkReadable(const QString &file, const QString &what)
{
    const QFileInfo info(file);
    if (file.isEmpty())
        return failure(QStringLiteral("no %1 file was given").arg(what));
    if (!info.exists())
        return failure(QStringLiteral("the %1 file %2 does not exist").arg(what, file));
    if (!info.isReadable())
        return failure(QStringLiteral("the %1 file %2 cannot be read").arg(what, file));
    return {};
}

std::shared_ptr<ssl::context> baseContext(ssl::context::method method)
{
    auto context = std::make_shared<ssl::context>(method);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    // TLS 1.2 only with forward secrecy and authenticated encryption (ECDHE with GCM or
    // ChaCha20-Poly1305); TLS 1.3's own suites all are.
    SSL_CTX_set_cipher_list(context->native_handle(),
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    SSL_CTX_set_options(context->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
    return context;
}

// The DER encodings of every certificate in a PEM file, for pinning.
std::vector<std::string> certificatesIn(const QString &file)
{
    std::vector<std::string> certificates;
    QFile pem(file);
    if (!pem.open(QIODevice::ReadOnly))
        return certificates;
    const QByteArray text = pem.readAll();
    BIO *bio = BIO_new_mem_buf(text.constData(), int(text.size()));
    while (X509 *certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        unsigned char *der = nullptr;
        const int length = i2d_X509(certificate, &der);
        if (length > 0)
            certificates.emplace_back(reinterpret_cast<const char *>(der), std::size_t(length));
        OPENSSL_free(der);
        X509_free(certificate);
    }
    BIO_free(bio);
    ERR_clear_error(); // the end of the file reads as an error
    return certificates;
}

} // namespace

QString describe(const boost::system::error_code &error)
{
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code != 0) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        return QString::fromUtf8(text);
    }
    return QString::fromStdString(error.message());
}

Result<std::shared_ptr<ssl::context>> serverContext(const QString &certificateFile,
                                                    const QString &privateKeyFile)
{
    if (auto readable = checkReadable(certificateFile, QStringLiteral("TLS certificate"));
        !readable)
        return std::unexpected(readable.error());
    if (auto readable = checkReadable(privateKeyFile, QStringLiteral("TLS private key")); !readable)
        return std::unexpected(readable.error());
    auto context = baseContext(ssl::context::tls_server);
    boost::system::error_code error;
    context->use_certificate_chain_file(QFile::encodeName(certificateFile).toStdString(), error);
    if (error)
        return failure(QStringLiteral("cannot load the TLS certificate %1 (PEM expected): %2")
                           .arg(certificateFile, describe(error)));
    context->use_private_key_file(QFile::encodeName(privateKeyFile).toStdString(),
                                  ssl::context::pem, error);
    if (error)
        return failure(QStringLiteral("cannot load the TLS private key %1 (PEM expected): %2")
                           .arg(privateKeyFile, describe(error)));
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
        ERR_clear_error();
        return failure(
            QStringLiteral("the TLS private key %1 does not belong to the certificate %2")
                .arg(privateKeyFile, certificateFile));
    }
    return context;
}

Result<std::shared_ptr<ssl::context>> clientContext(const QString &caCertificateFile,
                                                    const QString &host)
{
    if (auto readable = checkReadable(caCertificateFile, QStringLiteral("CA certificate"));
        !readable)
        return std::unexpected(readable.error());
    auto context = baseContext(ssl::context::tls_client);
    boost::system::error_code error;
    context->load_verify_file(QFile::encodeName(caCertificateFile).toStdString(), error);
    if (error)
        return failure(QStringLiteral("cannot load the CA certificate %1 (PEM expected): %2")
                           .arg(caCertificateFile, describe(error)));
    context->set_verify_mode(ssl::verify_peer);
    std::vector<std::string> pinned = certificatesIn(caCertificateFile);
    context->set_verify_callback([pinned = std::move(pinned), host = host.toStdString()](
                                     bool preverified, ssl::verify_context &verify) {
        X509_STORE_CTX *store = verify.native_handle();
        if (X509_STORE_CTX_get_error_depth(store) == 0) {
            // The server's own certificate, pinned: no name or chain to check.
            X509 *certificate = X509_STORE_CTX_get_current_cert(store);
            unsigned char *der = nullptr;
            const int length = certificate ? i2d_X509(certificate, &der) : 0;
            bool matches = false;
            if (length > 0) {
                const std::string_view presented(reinterpret_cast<const char *>(der),
                                                 std::size_t(length));
                for (const std::string &candidate : pinned)
                    matches = matches || candidate == presented;
            }
            OPENSSL_free(der);
            if (matches) {
                X509_STORE_CTX_set_error(store, X509_V_OK);
                return true;
            }
        }
        const bool accepted = ssl::host_name_verification(host)(preverified, verify);
        if (preverified && !accepted)
            X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH); // names the reason
        return accepted;
    });
    return context;
}

} // namespace Slipway::ApiTls
