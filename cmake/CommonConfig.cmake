# Settings every Slipway target shares: language level, warnings, strict Qt.
add_library(slipway_common INTERFACE)
add_library(Slipway::Common ALIAS slipway_common)

target_compile_features(slipway_common INTERFACE cxx_std_23)
target_compile_options(slipway_common INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
target_compile_definitions(slipway_common INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_URL_CAST_FROM_STRING
    QT_NO_CONTEXTLESS_CONNECT
    QT_NO_KEYWORDS
    QT_USE_QSTRINGBUILDER
    QT_STRICT_ITERATORS
    QT_DISABLE_DEPRECATED_BEFORE=0x060400
    QT_DISABLE_DEPRECATED_UP_TO=0x060400
    # Asio without its deprecated interfaces, in every target alike. The switch changes what
    # Asio's synchronous calls return (void instead of an error_code) without changing their
    # symbol names, so two targets built with different settings link into one binary with
    # incompatible copies of, say, basic_socket_acceptor::set_option(). Optimised builds
    # inline them and hide it; unoptimised ones call whichever copy the linker kept, with
    # the wrong calling convention (the router failed to start with "Bad file descriptor").
    BOOST_ASIO_NO_DEPRECATED)

# libstdc++ 12 offers std::expected only when the compiler reports C++20's full concepts;
# clang before 19 implements what <expected> needs (conditionally trivial special members,
# clang 16) but reports an older value. The sanitizer and fuzzing builds use Debian's
# clang 16, so it is told the truth.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 16
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 19)
    target_compile_options(slipway_common INTERFACE -U__cpp_concepts -D__cpp_concepts=202002L
                                                    -Wno-builtin-macro-redefined)
endif()

set(CMAKE_CXX_EXTENSIONS OFF)
