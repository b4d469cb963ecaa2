"""pyperformance pickle/unpickle shape: a mix of builtins, protocol 4."""
import datetime, pickle

DICT = {"ads_flags": 0, "age": 18, "bulletin_count": 0, "comment_count": 0, "country": "BR",
        "encrypted_id": "G9urXXAJwjE", "favorite_artists": ["Reik", "Ricky Martin"],
        "friend_count": 0, "name": "Alice", "nested": {"a": [1.5, 2.5, None], "b": (1, 2, 3)}}
TUPLE = ([265867233, 265868503, 265252341, 265243910, 265879514, 266219766, 266021701,
          265843726, 265592821, 265246784, 265853180, 45526486, 265463699], 60)
data = [DICT, TUPLE, [DICT] * 50, {"when": datetime.datetime(2020, 1, 2, 3, 4, 5)},
        list(range(1000)), {str(i): i for i in range(300)}]
for _ in range(500):
    for obj in data:
        pickle.loads(pickle.dumps(obj, protocol=4))
