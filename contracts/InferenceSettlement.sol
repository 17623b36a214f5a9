// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {ModelRegistry} from "./ModelRegistry.sol";
import {Staking} from "./Staking.sol";

/// @title Payable AI: paying for an inference and splitting the fee by a proven attribution
/// @notice A settlement pays a fee in native OPEN for an inference of a registered model version,
/// with the response hash and the attribution (contributors and weights summing to WEIGHT_SCALE).
/// The fee is split by basis points into platform, model owner, stakers and data contributors,
/// and the contributors' part by weight. Everyone but the stakers is paid by pull (`claim`); the
/// stakers' share goes to Staking, which accrues it pro rata.
///
/// Attribution is proven, not asserted: every contributor paid must be covered by a Merkle
/// (multi)proof that a record of theirs, the leaf keccak256(keccak256(abi.encode(recordHash,
/// contributor))) as StandardMerkleTree hashes it, is in a datanet version of the model version's
/// lineage (ModelRegistry.lineageRoot, itself checked against DatanetRegistry when registered),
/// and the version's whole lineage must have been licensed to the model's owner. Gas grows with
/// the number of contributors and the proofs' length (logarithmic in the datanet's size).
///
/// Who pays:
///   - `settle` / `settleBatch`: the sender, with msg.value (someone paying for their own answers).
///   - `settleAuthorized`: each payer's prepaid credit (`deposit`, `withdraw`), with an EIP-712
///     PaymentAuthorization the payer signed (payer, modelId, maxFee, nonce, expiry), checked per
///     item: signature (EOA or ERC-1271), unused nonce (no replay), not expired, fee ≤ maxFee,
///     enough credit. Only a staked agent (Staking.isAgent) may settle authorizations: it chose the
///     attribution with someone else's money, so it answers for it with its stake (Staking
///     challenges). The sender never pays a client's fee.
///
/// Integer math, conserving the fee to the wei:
///   modelAmount        = fee × modelOwnerBps   / 10000   (rounded down)
///   stakersAmount      = fee × stakersBps      / 10000   (rounded down; 0 when nothing is staked)
///   contributorsPart   = fee × contributorsBps / 10000   (rounded down)
///   contributor i gets   contributorsPart × weight_i / WEIGHT_SCALE (rounded down)
///   contributorsAmount = the sum of what the contributors got
///   platformAmount     = fee − modelAmount − stakersAmount − contributorsAmount
/// so the platform (the treasury) takes every rounding remainder, and the stakers' share too when
/// nothing is staked.
contract InferenceSettlement is AccessControl, ReentrancyGuard, EIP712 {
    /// @notice May change the split and the treasury.
    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");

    bytes32 public constant AUTHORIZATION_TYPEHASH =
        keccak256("PaymentAuthorization(address payer,uint256 modelId,uint256 maxFee,uint256 nonce,uint256 expiry)");

    uint256 public constant WEIGHT_SCALE = 1e18;
    uint16 public constant BPS_DENOMINATOR = 10_000;
    /// @notice Bounds the gas of one settlement (and fits the proof-coverage bitmap in a word).
    uint256 public constant MAX_CONTRIBUTORS = 256;

    ModelRegistry public immutable modelRegistry;
    Staking public immutable staking;
    /// @notice Receives the platform's share (by claim).
    address public treasury;

    uint16 public platformBps = 1000;
    uint16 public modelOwnerBps = 2000;
    uint16 public stakersBps = 2000;
    uint16 public contributorsBps = 5000;

    /// @notice Settlements so far; receipt ids run from 1 to receiptCount.
    uint256 public receiptCount;

    /// @notice Prepaid OPEN each payer's authorizations may spend.
    mapping(address payer => uint256) public credit;
    /// @notice Authorization nonces used or cancelled, per payer (unordered: any unused one is valid).
    mapping(address payer => mapping(uint256 nonce => bool)) public nonceUsed;
    /// @notice Who settled each receipt: the agent answerable for its attribution.
    mapping(uint256 receiptId => address) public receiptAgent;

    /// @dev Claimable balances, kept apart by where they came from so clients can show each.
    mapping(address => uint256) private _asContributor;
    mapping(address => uint256) private _asModelOwner;
    mapping(address => uint256) private _asPlatform;

    event InferenceSettled(
        uint256 indexed receiptId,
        uint256 indexed modelId,
        address indexed payer,
        bytes32 responseHash,
        uint256 fee,
        uint256 platformAmount,
        uint256 modelAmount,
        uint256 stakersAmount,
        uint256 contributorsAmount
    );
    /// @notice The agent that settled a receipt and the model version it paid.
    event ReceiptAgent(uint256 indexed receiptId, address indexed agent, uint32 modelVersion);
    event ContributorCredited(uint256 indexed receiptId, address indexed contributor, uint256 amount);
    event Claimed(address indexed account, uint256 amount);
    event CreditDeposited(address indexed payer, address indexed from, uint256 amount, uint256 credit);
    event CreditWithdrawn(address indexed payer, uint256 amount, uint256 credit);
    event AuthorizationUsed(address indexed payer, uint256 indexed nonce, uint256 indexed receiptId, uint256 fee);
    event AuthorizationCancelled(address indexed payer, uint256 indexed nonce);
    event SplitUpdated(uint16 platformBps, uint16 modelOwnerBps, uint16 stakersBps, uint16 contributorsBps);
    event TreasuryUpdated(address treasury);

    error ZeroAddress();
    error ZeroFee();
    error ZeroAmount();
    error UnknownModel(uint256 modelId);
    error LengthMismatch(uint256 contributors, uint256 weights);
    error TooManyContributors(uint256 count, uint256 max);
    error ZeroContributor(uint256 index);
    /// @notice A weight is zero or larger than WEIGHT_SCALE.
    error BadWeight(uint256 index, uint256 weight);
    error WeightsNotWhole(uint256 sum, uint256 expected);
    error InvalidSplit(uint256 sum);
    error NothingToClaim();
    error EmptyBatch();
    error BatchValueMismatch(uint256 fees, uint256 value);
    /// @notice The model version has no datanet at `lineageIndex` (or no such version).
    error UnknownLineage(uint256 modelId, uint32 modelVersion, uint256 lineageIndex);
    /// @notice The model's owner was not licensed to train on some datanet of the version's lineage.
    error UnlicensedLineage(uint256 modelId, uint32 modelVersion);
    /// @notice A proof group is malformed (no leaves, lengths differ, or a contributor index out of range).
    error MalformedProof(uint256 proofIndex);
    /// @notice A proof group does not prove its records under the lineage root.
    error InvalidProof(uint256 proofIndex);
    /// @notice A contributor paid has no record proven in the lineage.
    error ContributorNotProven(uint256 index, address contributor);
    error InsufficientCredit(address payer, uint256 credit, uint256 required);
    error AuthorizationCountMismatch(uint256 items, uint256 authorizations);
    error AuthorizationExpired(address payer, uint256 nonce, uint256 expiry);
    error NonceUsed(address payer, uint256 nonce);
    error FeeAboveMax(uint256 fee, uint256 maxFee);
    error ModelMismatch(uint256 authorized, uint256 settled);
    error InvalidSignature(address payer, uint256 nonce);
    error NotAnAgent(address account);

    /// @notice Records of one datanet version (lineage entry) proven at once: leaf i is
    /// (recordHashes[i], contributors[contributorIndexes[i]]), leaves in the order
    /// StandardMerkleTree.getMultiProof returns them; `proof` and `proofFlags` as it returns them.
    struct RecordProof {
        uint256 lineageIndex;
        bytes32[] recordHashes;
        uint256[] contributorIndexes;
        bytes32[] proof;
        bool[] proofFlags;
    }

    /// @notice One inference to settle.
    struct Settlement {
        uint256 modelId;
        uint32 modelVersion;
        bytes32 responseHash;
        uint256 fee;
        address[] contributors;
        uint256[] weights;
        RecordProof[] proofs;
    }

    /// @notice A payer's EIP-712 PaymentAuthorization and its signature.
    struct Authorization {
        address payer;
        uint256 modelId;
        uint256 maxFee;
        uint256 nonce;
        uint256 expiry;
        bytes signature;
    }

    constructor(address admin, address treasury_, ModelRegistry modelRegistry_, Staking staking_)
        EIP712("OpenLedger InferenceSettlement", "1")
    {
        if (
            admin == address(0) || treasury_ == address(0) || address(modelRegistry_) == address(0)
                || address(staking_) == address(0)
        ) revert ZeroAddress();
        treasury = treasury_;
        modelRegistry = modelRegistry_;
        staking = staking_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNANCE_ROLE, admin);
    }

    // ---------------------------------------------------------------- settling

    /// @notice Pays msg.value (the fee) for one inference and splits it (see the contract notes).
    function settle(Settlement calldata s) external payable nonReentrant returns (uint256 receiptId) {
        if (s.fee != msg.value) revert BatchValueMismatch(s.fee, msg.value);
        uint256 stakersAmount;
        (receiptId, stakersAmount) = _settle(s, msg.sender);
        if (stakersAmount > 0) staking.distributeRewards{value: stakersAmount}();
    }

    /// @notice Settles several inferences the sender pays for in one transaction, each exactly as
    /// `settle` would, with its own receipt; msg.value must equal the sum of the fees.
    function settleBatch(Settlement[] calldata items) external payable nonReentrant returns (uint256 firstReceiptId) {
        if (items.length == 0) revert EmptyBatch();
        uint256 fees;
        for (uint256 i = 0; i < items.length; i++) fees += items[i].fee;
        if (fees != msg.value) revert BatchValueMismatch(fees, msg.value);
        firstReceiptId = receiptCount + 1;
        uint256 stakers;
        for (uint256 i = 0; i < items.length; i++) {
            (, uint256 stakersAmount) = _settle(items[i], msg.sender);
            stakers += stakersAmount;
        }
        if (stakers > 0) staking.distributeRewards{value: stakers}();
    }

    /// @notice A staked agent settles inferences paid from their payers' credit: item i by
    /// authorization i, each checked on its own (see the contract notes). Any failure reverts the
    /// whole batch; an agent checks each with `checkAuthorization` before answering.
    function settleAuthorized(Settlement[] calldata items, Authorization[] calldata auths)
        external
        nonReentrant
        returns (uint256 firstReceiptId)
    {
        if (items.length == 0) revert EmptyBatch();
        if (items.length != auths.length) revert AuthorizationCountMismatch(items.length, auths.length);
        if (!staking.isAgent(msg.sender)) revert NotAnAgent(msg.sender);
        firstReceiptId = receiptCount + 1;
        uint256 stakers;
        for (uint256 i = 0; i < items.length; i++) {
            Authorization calldata a = auths[i];
            Settlement calldata it = items[i];
            if (it.modelId != a.modelId) revert ModelMismatch(a.modelId, it.modelId);
            if (it.fee > a.maxFee) revert FeeAboveMax(it.fee, a.maxFee);
            _useAuthorization(a);
            uint256 available = credit[a.payer];
            if (available < it.fee) revert InsufficientCredit(a.payer, available, it.fee);
            credit[a.payer] = available - it.fee;
            (uint256 receiptId, uint256 stakersAmount) = _settle(it, a.payer);
            emit AuthorizationUsed(a.payer, a.nonce, receiptId, it.fee);
            stakers += stakersAmount;
        }
        if (stakers > 0) staking.distributeRewards{value: stakers}();
    }

    // ---------------------------------------------------------------- credit and authorizations

    /// @notice Adds msg.value to the sender's credit.
    function deposit() external payable {
        _deposit(msg.sender);
    }

    /// @notice Adds msg.value to `payer`'s credit.
    function depositFor(address payer) external payable {
        if (payer == address(0)) revert ZeroAddress();
        _deposit(payer);
    }

    /// @notice Pays `amount` of the sender's unspent credit back to the sender.
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 available = credit[msg.sender];
        if (available < amount) revert InsufficientCredit(msg.sender, available, amount);
        credit[msg.sender] = available - amount;
        emit CreditWithdrawn(msg.sender, amount, available - amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @notice Makes the sender's authorization with `nonce` unusable (signed but not yet settled).
    function cancelAuthorization(uint256 nonce) external {
        if (nonceUsed[msg.sender][nonce]) revert NonceUsed(msg.sender, nonce);
        nonceUsed[msg.sender][nonce] = true;
        emit AuthorizationCancelled(msg.sender, nonce);
    }

    /// @notice The EIP-712 digest a payer signs for an authorization.
    function authorizationDigest(address payer, uint256 modelId, uint256 maxFee, uint256 nonce, uint256 expiry)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(AUTHORIZATION_TYPEHASH, payer, modelId, maxFee, nonce, expiry)));
    }

    /// @notice Whether `a` could pay `fee` now (signature, nonce, expiry, maxFee, credit): what an
    /// agent checks before answering. 0 when it could; otherwise the first failing check:
    /// 1 bad signature, 2 nonce used, 3 expired, 4 fee above maxFee, 5 not enough credit.
    function checkAuthorization(Authorization calldata a, uint256 fee) external view returns (uint8) {
        bytes32 digest = authorizationDigest(a.payer, a.modelId, a.maxFee, a.nonce, a.expiry);
        if (a.payer == address(0) || !SignatureChecker.isValidSignatureNow(a.payer, digest, a.signature)) return 1;
        if (nonceUsed[a.payer][a.nonce]) return 2;
        if (block.timestamp > a.expiry) return 3;
        if (fee > a.maxFee) return 4;
        if (credit[a.payer] < fee) return 5;
        return 0;
    }

    // ---------------------------------------------------------------- claims

    /// @notice Pays out everything the sender can claim (as contributor, model owner and platform).
    function claim() external nonReentrant returns (uint256 amount) {
        amount = _asContributor[msg.sender] + _asModelOwner[msg.sender] + _asPlatform[msg.sender];
        if (amount == 0) revert NothingToClaim();
        delete _asContributor[msg.sender];
        delete _asModelOwner[msg.sender];
        delete _asPlatform[msg.sender];
        emit Claimed(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the four shares in basis points; they must add up to 10000.
    function setSplit(uint16 platformBps_, uint16 modelOwnerBps_, uint16 stakersBps_, uint16 contributorsBps_)
        external
        onlyRole(GOVERNANCE_ROLE)
    {
        uint256 sum = uint256(platformBps_) + modelOwnerBps_ + stakersBps_ + contributorsBps_;
        if (sum != BPS_DENOMINATOR) revert InvalidSplit(sum);
        platformBps = platformBps_;
        modelOwnerBps = modelOwnerBps_;
        stakersBps = stakersBps_;
        contributorsBps = contributorsBps_;
        emit SplitUpdated(platformBps_, modelOwnerBps_, stakersBps_, contributorsBps_);
    }

    /// @notice Future platform shares go to `treasury_`; what the old one was credited stays its own.
    function setTreasury(address treasury_) external onlyRole(GOVERNANCE_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    // ---------------------------------------------------------------- views

    function claimable(address account) external view returns (uint256) {
        return _asContributor[account] + _asModelOwner[account] + _asPlatform[account];
    }

    /// @notice What `account` can claim, by where it came from.
    function balancesOf(address account)
        external
        view
        returns (uint256 asContributor, uint256 asModelOwner, uint256 asPlatform)
    {
        return (_asContributor[account], _asModelOwner[account], _asPlatform[account]);
    }

    function split()
        external
        view
        returns (uint16 platform, uint16 modelOwner, uint16 stakers, uint16 contributors_)
    {
        return (platformBps, modelOwnerBps, stakersBps, contributorsBps);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Checks one settlement, splits its fee paid by `payer` and credits everyone but the
    /// stakers, whose share the caller forwards.
    function _settle(Settlement calldata s, address payer) private returns (uint256 receiptId, uint256 stakersAmount) {
        uint256 fee = s.fee;
        if (fee == 0) revert ZeroFee();
        address owner = modelRegistry.modelOwner(s.modelId);
        if (owner == address(0)) revert UnknownModel(s.modelId);
        _checkAttribution(s.contributors, s.weights);
        _checkProofs(s);

        receiptId = ++receiptCount;
        receiptAgent[receiptId] = msg.sender;
        uint256 modelAmount = (fee * modelOwnerBps) / BPS_DENOMINATOR;
        stakersAmount = staking.totalStaked() == 0 ? 0 : (fee * stakersBps) / BPS_DENOMINATOR;
        uint256 contributorsAmount =
            _creditContributors(receiptId, (fee * contributorsBps) / BPS_DENOMINATOR, s.contributors, s.weights);
        uint256 platformAmount = fee - modelAmount - stakersAmount - contributorsAmount;

        _asModelOwner[owner] += modelAmount;
        _asPlatform[treasury] += platformAmount;
        emit InferenceSettled(
            receiptId, s.modelId, payer, s.responseHash, fee, platformAmount, modelAmount, stakersAmount, contributorsAmount
        );
        emit ReceiptAgent(receiptId, msg.sender, s.modelVersion);
    }

    /// @dev Every contributor must be the contributor of at least one leaf proven under a root of
    /// the model version's lineage; coverage is a bitmap (MAX_CONTRIBUTORS is 256).
    function _checkProofs(Settlement calldata s) private view {
        uint256 covered;
        uint256 n = s.contributors.length;
        for (uint256 g = 0; g < s.proofs.length; ++g) {
            RecordProof calldata p = s.proofs[g];
            (bytes32 root, bool licensed) = modelRegistry.lineageRoot(s.modelId, s.modelVersion, p.lineageIndex);
            if (root == bytes32(0)) revert UnknownLineage(s.modelId, s.modelVersion, p.lineageIndex);
            if (!licensed) revert UnlicensedLineage(s.modelId, s.modelVersion);
            uint256 leafCount = p.recordHashes.length;
            if (leafCount == 0 || leafCount != p.contributorIndexes.length) revert MalformedProof(g);
            bytes32[] memory leaves = new bytes32[](leafCount);
            for (uint256 i = 0; i < leafCount; ++i) {
                uint256 c = p.contributorIndexes[i];
                if (c >= n) revert MalformedProof(g);
                leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(p.recordHashes[i], s.contributors[c]))));
                covered |= uint256(1) << c;
            }
            if (!MerkleProof.multiProofVerifyCalldata(p.proof, p.proofFlags, root, leaves)) revert InvalidProof(g);
        }
        for (uint256 i = 0; i < n; ++i) {
            if (covered & (uint256(1) << i) == 0) revert ContributorNotProven(i, s.contributors[i]);
        }
    }

    /// @dev Checks an authorization's signature, nonce and expiry and spends its nonce.
    function _useAuthorization(Authorization calldata a) private {
        if (block.timestamp > a.expiry) revert AuthorizationExpired(a.payer, a.nonce, a.expiry);
        if (nonceUsed[a.payer][a.nonce]) revert NonceUsed(a.payer, a.nonce);
        bytes32 digest = authorizationDigest(a.payer, a.modelId, a.maxFee, a.nonce, a.expiry);
        if (a.payer == address(0) || !SignatureChecker.isValidSignatureNow(a.payer, digest, a.signature)) {
            revert InvalidSignature(a.payer, a.nonce);
        }
        nonceUsed[a.payer][a.nonce] = true;
    }

    function _deposit(address payer) private {
        if (msg.value == 0) revert ZeroAmount();
        uint256 c = credit[payer] + msg.value;
        credit[payer] = c;
        emit CreditDeposited(payer, msg.sender, msg.value, c);
    }

    /// @dev Credits each contributor `part × weight / WEIGHT_SCALE`, rounded down; returns the total.
    function _creditContributors(
        uint256 receiptId,
        uint256 part,
        address[] calldata contributors,
        uint256[] calldata weights
    ) private returns (uint256 total) {
        for (uint256 i = 0; i < contributors.length; ++i) {
            uint256 amount = (part * weights[i]) / WEIGHT_SCALE;
            _asContributor[contributors[i]] += amount;
            total += amount;
            emit ContributorCredited(receiptId, contributors[i], amount);
        }
    }

    function _checkAttribution(address[] calldata contributors, uint256[] calldata weights) private pure {
        if (contributors.length != weights.length) revert LengthMismatch(contributors.length, weights.length);
        if (contributors.length > MAX_CONTRIBUTORS) revert TooManyContributors(contributors.length, MAX_CONTRIBUTORS);
        uint256 sum;
        for (uint256 i = 0; i < weights.length; ++i) {
            if (contributors[i] == address(0)) revert ZeroContributor(i);
            uint256 w = weights[i];
            if (w == 0 || w > WEIGHT_SCALE) revert BadWeight(i, w);
            sum += w;
        }
        if (sum != WEIGHT_SCALE) revert WeightsNotWhole(sum, WEIGHT_SCALE);
    }
}
