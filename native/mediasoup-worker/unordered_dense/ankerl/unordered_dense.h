// Stand-in for the header-only ankerl/unordered_dense.h, which Debian 12 does
// not package and which cannot be downloaded on machines without GitHub.
//
// The mediasoup worker only uses ankerl::unordered_dense::{map,set,hash} as
// drop-in hash containers, so they are mapped onto the standard ones. The
// standard containers are slower but keep references stable across inserts,
// which is a superset of what the worker relies on.
#ifndef KETANG_ANKERL_UNORDERED_DENSE_SHIM_H
#define KETANG_ANKERL_UNORDERED_DENSE_SHIM_H

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace ankerl::unordered_dense
{
	template<class T, class Enable = void>
	struct hash : std::hash<T>
	{
	};

	template<
	  class Key,
	  class T,
	  class Hash      = hash<Key>,
	  class KeyEqual  = std::equal_to<Key>,
	  class Allocator = std::allocator<std::pair<const Key, T>>>
	using map = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

	template<
	  class Key,
	  class Hash      = hash<Key>,
	  class KeyEqual  = std::equal_to<Key>,
	  class Allocator = std::allocator<Key>>
	using set = std::unordered_set<Key, Hash, KeyEqual, Allocator>;
} // namespace ankerl::unordered_dense

#endif
