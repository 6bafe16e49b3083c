// The one translation unit that compiles Asio, Asio's SSL and Beast (separate compilation,
// see the design guide): every other file only includes their declarations.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
