/*
 * tls-lib: OpenSSL's functions for tls.c in the client, loaded the
 * first time the client makes a TLS context.  Linking ttyhub with libssl
 * and libcrypto would have every start map and relocate them (about
 * 850 us of a start that is otherwise about 1 ms), for the runs that
 * talk TLS to a hub (ARCHITECTURE.md, Dependencies).  The daemon links
 * them: tls.c includes this header only when TTYHUB_TLS_LAZY is 1.
 *
 * The table's members are declared with the type of OpenSSL's own
 * prototypes, so a call that does not fit them does not compile, and a
 * function tls.c calls that is missing here does not link (ttyhub has
 * no libssl to find it in).  A file that includes this header, except
 * tls-lib.c, calls OpenSSL through the table: each name below is the
 * table's member, not the function, and OpenSSL's macros over them
 * (SSL_CTX_set_mode over SSL_CTX_ctrl, OPENSSL_free over CRYPTO_free)
 * expand to calls through it too.
 */
#ifndef TTYHUB_TLS_LIB_H
#define TTYHUB_TLS_LIB_H

#include <stddef.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* The soname is the headers' major version's. */
#if OPENSSL_VERSION_MAJOR != 3
#error "tls-lib.h: TLS_LIB_SONAME is OpenSSL 3's"
#endif

/* What it is called at run time, and which Debian package has it. */
#define TLS_LIB_SONAME		"libssl.so.3"
#define TLS_LIB_PACKAGE		"libssl3"

/* Every function tls.c calls (those of libcrypto come with libssl). */
#define TLS_LIB_FUNCS(F)						\
	F(ASN1_STRING_to_UTF8)						\
	F(CRYPTO_free)							\
	F(ERR_clear_error)						\
	F(ERR_error_string_n)						\
	F(ERR_get_error)						\
	F(ERR_peek_error)						\
	F(SSL_CIPHER_get_name)						\
	F(SSL_CTX_check_private_key)					\
	F(SSL_CTX_ctrl)							\
	F(SSL_CTX_free)							\
	F(SSL_CTX_load_verify_locations)				\
	F(SSL_CTX_new)							\
	F(SSL_CTX_set_cipher_list)					\
	F(SSL_CTX_set_client_CA_list)					\
	F(SSL_CTX_set_default_verify_paths)				\
	F(SSL_CTX_set_num_tickets)					\
	F(SSL_CTX_set_options)						\
	F(SSL_CTX_set_session_id_context)				\
	F(SSL_CTX_set_verify)						\
	F(SSL_CTX_set_verify_depth)					\
	F(SSL_CTX_use_PrivateKey_file)					\
	F(SSL_CTX_use_certificate_chain_file)				\
	F(SSL_ctrl)							\
	F(SSL_do_handshake)						\
	F(SSL_free)							\
	F(SSL_get0_param)						\
	F(SSL_get1_peer_certificate)					\
	F(SSL_get_current_cipher)					\
	F(SSL_get_error)						\
	F(SSL_get_verify_result)					\
	F(SSL_get_version)						\
	F(SSL_load_client_CA_file)					\
	F(SSL_new)							\
	F(SSL_pending)							\
	F(SSL_read)							\
	F(SSL_set_accept_state)						\
	F(SSL_set_connect_state)					\
	F(SSL_set_fd)							\
	F(SSL_shutdown)							\
	F(SSL_write)							\
	F(TLS_client_method)						\
	F(TLS_server_method)						\
	F(X509_NAME_ENTRY_get_data)					\
	F(X509_NAME_get_entry)						\
	F(X509_NAME_get_index_by_NID)					\
	F(X509_VERIFY_PARAM_set1_host)					\
	F(X509_VERIFY_PARAM_set1_ip_asc)				\
	F(X509_VERIFY_PARAM_set_hostflags)				\
	F(X509_free)							\
	F(X509_get_subject_name)					\
	F(X509_verify_cert_error_string)

#define TLS_LIB_MEMBER(f)	__typeof__(f) *f;
struct tls_lib {
	TLS_LIB_FUNCS(TLS_LIB_MEMBER)
};
#undef TLS_LIB_MEMBER

extern struct tls_lib tls_lib_fn;

/*
 * Load the library and fill tls_lib_fn, once: 0, or -1 with why in err
 * (the library missing names its package).
 */
int	tls_lib_open(char *err, size_t errlen);

#ifndef TLS_LIB_FILL
#define ASN1_STRING_to_UTF8		(tls_lib_fn.ASN1_STRING_to_UTF8)
#define CRYPTO_free			(tls_lib_fn.CRYPTO_free)
#define ERR_clear_error			(tls_lib_fn.ERR_clear_error)
#define ERR_error_string_n		(tls_lib_fn.ERR_error_string_n)
#define ERR_get_error			(tls_lib_fn.ERR_get_error)
#define ERR_peek_error			(tls_lib_fn.ERR_peek_error)
#define SSL_CIPHER_get_name		(tls_lib_fn.SSL_CIPHER_get_name)
#define SSL_CTX_check_private_key	(tls_lib_fn.SSL_CTX_check_private_key)
#define SSL_CTX_ctrl			(tls_lib_fn.SSL_CTX_ctrl)
#define SSL_CTX_free			(tls_lib_fn.SSL_CTX_free)
#define SSL_CTX_load_verify_locations \
				(tls_lib_fn.SSL_CTX_load_verify_locations)
#define SSL_CTX_new			(tls_lib_fn.SSL_CTX_new)
#define SSL_CTX_set_cipher_list		(tls_lib_fn.SSL_CTX_set_cipher_list)
#define SSL_CTX_set_client_CA_list	(tls_lib_fn.SSL_CTX_set_client_CA_list)
#define SSL_CTX_set_default_verify_paths \
				(tls_lib_fn.SSL_CTX_set_default_verify_paths)
#define SSL_CTX_set_num_tickets		(tls_lib_fn.SSL_CTX_set_num_tickets)
#define SSL_CTX_set_options		(tls_lib_fn.SSL_CTX_set_options)
#define SSL_CTX_set_session_id_context \
				(tls_lib_fn.SSL_CTX_set_session_id_context)
#define SSL_CTX_set_verify		(tls_lib_fn.SSL_CTX_set_verify)
#define SSL_CTX_set_verify_depth	(tls_lib_fn.SSL_CTX_set_verify_depth)
#define SSL_CTX_use_PrivateKey_file	(tls_lib_fn.SSL_CTX_use_PrivateKey_file)
#define SSL_CTX_use_certificate_chain_file \
				(tls_lib_fn.SSL_CTX_use_certificate_chain_file)
#define SSL_ctrl			(tls_lib_fn.SSL_ctrl)
#define SSL_do_handshake		(tls_lib_fn.SSL_do_handshake)
#define SSL_free			(tls_lib_fn.SSL_free)
#define SSL_get0_param			(tls_lib_fn.SSL_get0_param)
#define SSL_get1_peer_certificate	(tls_lib_fn.SSL_get1_peer_certificate)
#define SSL_get_current_cipher		(tls_lib_fn.SSL_get_current_cipher)
#define SSL_get_error			(tls_lib_fn.SSL_get_error)
#define SSL_get_verify_result		(tls_lib_fn.SSL_get_verify_result)
#define SSL_get_version			(tls_lib_fn.SSL_get_version)
#define SSL_load_client_CA_file		(tls_lib_fn.SSL_load_client_CA_file)
#define SSL_new				(tls_lib_fn.SSL_new)
#define SSL_pending			(tls_lib_fn.SSL_pending)
#define SSL_read			(tls_lib_fn.SSL_read)
#define SSL_set_accept_state		(tls_lib_fn.SSL_set_accept_state)
#define SSL_set_connect_state		(tls_lib_fn.SSL_set_connect_state)
#define SSL_set_fd			(tls_lib_fn.SSL_set_fd)
#define SSL_shutdown			(tls_lib_fn.SSL_shutdown)
#define SSL_write			(tls_lib_fn.SSL_write)
#define TLS_client_method		(tls_lib_fn.TLS_client_method)
#define TLS_server_method		(tls_lib_fn.TLS_server_method)
#define X509_NAME_ENTRY_get_data	(tls_lib_fn.X509_NAME_ENTRY_get_data)
#define X509_NAME_get_entry		(tls_lib_fn.X509_NAME_get_entry)
#define X509_NAME_get_index_by_NID	(tls_lib_fn.X509_NAME_get_index_by_NID)
#define X509_VERIFY_PARAM_set1_host	(tls_lib_fn.X509_VERIFY_PARAM_set1_host)
#define X509_VERIFY_PARAM_set1_ip_asc \
				(tls_lib_fn.X509_VERIFY_PARAM_set1_ip_asc)
#define X509_VERIFY_PARAM_set_hostflags \
				(tls_lib_fn.X509_VERIFY_PARAM_set_hostflags)
#define X509_free			(tls_lib_fn.X509_free)
#define X509_get_subject_name		(tls_lib_fn.X509_get_subject_name)
#define X509_verify_cert_error_string \
				(tls_lib_fn.X509_verify_cert_error_string)
#endif

#endif
